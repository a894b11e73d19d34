"""Immutable records shared by the parsers, the rules and the storage layer.

Payments travel in bulk as pandas DataFrames whose columns are fixed by ``PAYMENT_COLUMNS``
(one row per payment, money in int64 kopecks, identifiers as strings: leading zeros are data).
Single facts that are not bulk (a rejected line, a register's declared totals) are frozen
dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import pandas as pd

# Column -> pandas dtype of a normalised payment frame. Every parser produces exactly these.
PAYMENT_COLUMNS: dict[str, str] = {
    "line_no": "int64",  # 1-based line (or row, or notification ordinal) in the source file
    "raw": "object",  # the source text of the line, for provenance
    "operation_id": "object",  # the agent's operation id; with the channel, the payment's key
    "paid_date": "object",  # ISO date "YYYY-MM-DD"
    "paid_time": "object",  # "HH:MM:SS" or None
    "account_raw": "object",  # ЛС as the agent wrote it
    "account": "object",  # ЛС normalised (domain.identifiers.account.compact)
    "uip": "object",  # УИП / ИПД or None
    "els": "object",  # ЕЛС or None
    "period": "object",  # "YYYY-MM" or None when absent or unreadable
    "amount": "int64",  # what the payer paid, kopecks
    "commission": "Int64",  # the agent's commission in kopecks, NA when the format has none
    "payer": "object",
    "address": "object",
    "supplier_inn": "object",  # a recipient the agent names (ГИС ЖКХ RecipientInfo), else None
    "services": "object",  # multi-service registers: tuple of (service_code, kopecks), else None
    "meters": "object",  # meter readings the payer gave: tuple of (meter, value) strings, else None
    # the payer's purpose text (назначение платежа: a ГИС ЖКХ PaymentPurpose, a direct п/п's
    # НазначениеПлатежа), else None; read for identifiers only where the fields name none (docs/RULES.md)
    "purpose": "object",
    "method_raw": "object",  # how the payer paid, as the register wrote it (domain.methods), else None
    "method": "object",  # the payment's method (domain.methods.PaymentMethod value), set by intake
    "qr": "object",  # a receipt's QR payload (ГОСТ Р 56042) the line carries, else None
    "qr_flag": "object",  # QR_UNREADABLE / QR_MISMATCH when the payload disagrees with its line (domain.qr_lines)
    "qr_detail": "object",  # the finding's Russian description
}


def empty_payments() -> pd.DataFrame:
    """A payment frame with no rows and the right dtypes."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in PAYMENT_COLUMNS.items()})


def conform_payments(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with exactly the payment columns, in order, with their dtypes.

    Missing optional columns are filled with None/NA; an unknown column is a bug and raises.
    """
    unknown = set(frame.columns) - set(PAYMENT_COLUMNS)
    if unknown:
        raise ValueError(f"unknown payment columns: {sorted(unknown)}")
    out = {}
    for name, dtype in PAYMENT_COLUMNS.items():
        if name in frame.columns:
            out[name] = frame[name].astype(dtype) if dtype != "object" else frame[name]
        else:
            out[name] = pd.Series([None] * len(frame), dtype=dtype, index=frame.index)
    return pd.DataFrame(out, index=frame.index)


class RecordKind(StrEnum):
    """What a physical record of an input file (text line, sheet row, DBF record, XML notification)
    is when it is not a payment and not rejected: a declared non-payment, recognised by a pattern.

    Every record of a file is exactly one of: a payment, one of these, or a rejected record
    (``LineError``); intake checks that the three add up to the file's independent record count.
    """

    BLANK = "blank"  # nothing but whitespace (or an empty sheet row)
    COMMENT = "comment"  # a comment line the dialect declares (``#…``, ``//…``)
    TITLE = "title"  # a title above the header ("Реестр платежей за 20.11.2026 …")
    HEADER = "header"  # the row naming the columns (a header spanning two rows counts twice)
    COLUMN_NUMBERS = "column_numbers"  # a row of column numbers (1, 2, 3 …) under the header
    FOOTER = "footer"  # the control-totals line of a text register (``=3;3450,00;…``)
    TOTALS = "totals"  # a totals line or row anywhere (``#FILESUM 3450.00``, "Итого")
    NOTE = "note"  # text after the totals that carries no payment (signatures, "К перечислению")
    DELETED = "deleted"  # a DBF record marked deleted
    CONTINUATION = "continuation"  # a further line of a payment written as several lines, merged into it


@dataclass(frozen=True, slots=True)
class LineError:
    """A line of an input file that could not be read (MALFORMED_LINE), as a value."""

    file: str
    line_no: int
    reason: str
    raw: str
    amount: int | None = None  # kopecks, when the amount could still be read (control totals)

    def __str__(self) -> str:
        return f"{self.file}:{self.line_no}: {self.reason}"


@dataclass(frozen=True, slots=True)
class DeclaredTotals:
    """Control totals a register declares about itself (footer or "Итого" row)."""

    count: int | None = None
    amount: int | None = None
    transfer: int | None = None
    commission: int | None = None
    payment_order_number: str | None = None
    payment_order_date: date | None = None


@dataclass(frozen=True, slots=True)
class Supplier:
    """A supplier from the suppliers directory."""

    inn: str
    name: str
    kpp: str = ""
    bank_account: str = ""
    bic: str = ""
    email: str = ""
    contract_no: str = ""  # the contract the payouts' purpose names
    fee_percent: str = "0"  # the center's fee (domain/fee.py): percent as exact text
    fee_min: int = 0  # kopecks a month
    fee_max: int | None = None  # kopecks a month; None: no cap
    fee_services: str = ""  # "service=percent|…"


# Column -> dtype of a charges frame: one row per service line of a ПД (billing export).
CHARGE_COLUMNS: dict[str, str] = {
    "uip": "object",  # the ПД key
    "account_raw": "object",  # ЛС as printed on the receipt
    "account": "object",  # ЛС normalised
    "period": "object",  # "YYYY-MM"
    "supplier_inn": "object",
    "service": "object",
    "amount": "int64",  # kopecks, >= 0
    "payer": "object",
    "address": "object",
    "els": "object",  # ЕЛС or ИЖКУ of the ПД (compact), None when the export has no ``els`` column
}


def synthetic_operation_id(*parts: object) -> str:
    """A stable operation id for formats that carry none, derived from the payment's own fields.

    Prefixed with ``~`` so that reports can tell it from an agent's real operation id.
    """
    import hashlib

    text = "|".join("" if p is None else str(p) for p in parts)
    return "~" + hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class BankTransfer:
    """One document (п/п) of a bank statement, incoming or outgoing."""

    number: str
    date: date
    amount: int  # kopecks, > 0
    incoming: bool  # ДатаПоступило present (money into the РКЦ's account)
    payer_name: str = ""
    payer_inn: str = ""
    payer_account: str = ""
    payer_bic: str = ""
    recipient_name: str = ""
    recipient_inn: str = ""
    recipient_account: str = ""
    purpose: str = ""
    line_no: int = 0  # line of ``СекцияДокумент`` in the statement file
    recipient_bic: str = ""
    recipient_kpp: str = ""
    debited: date | None = None  # ДатаСписано: the day the bank debited an outgoing document
    payer_kpp: str = ""


@dataclass(frozen=True, slots=True)
class BankStatement:
    """A parsed 1CClientBankExchange statement of one account (the РКЦ's, unless it is foreign)."""

    file: str
    account: str
    date_from: date | None
    date_to: date | None
    opening: int
    incoming: int
    outgoing: int
    closing: int
    transfers: tuple[BankTransfer, ...]
    # Other accounts' СекцияРасчСчет in the same file (not read) and the documents of none of
    # this account's (not read either): reported, never dropped silently.
    other_accounts: tuple[str, ...] = ()
    ignored_documents: int = 0
