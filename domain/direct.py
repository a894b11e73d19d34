"""Payers' own п/п to the center's account (docs/RULES.md, "Direct payments").

A citizen may pay the center's account straight from a bank, writing the ЛС and the month in the
purpose ("ЛС 1000123 за 10.2026"). Such an incoming п/п of the center's statement, from a payer no
channel names as its agent and not from the center itself, is a payment of the channel of payers'
п/п (format ``statement``, by default ``direct``): one payment per п/п, its key derived from the
п/п as the statement reader tells documents apart (date, number, payer's account, amount), so
that a п/п listed by two statements is one payment. Its identifiers are read from the purpose by
the decision step (``domain.purpose``), like those of any payment whose fields name none.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pandas as pd

from domain.money import format_ru
from domain.records import conform_payments, synthetic_operation_id

REGISTER_FORMAT = "statement"  # ``register.format`` of a statement's payers' п/п (no file of their own)
RULE_DIRECT = "direct"  # the tie-out rule of a register of payers' п/п: each payment is its own п/п
# What the direct payments are built from: stored incoming п/п (``bank_transfer``'s columns).
TRANSFER_COLUMNS = ["number", "date", "amount", "payer_name", "payer_inn", "payer_account", "purpose", "line_no"]


def is_direct(payer_inn: str | None, payer_account: str | None, agents: frozenset[str], center_inn: str,
              center_account: str) -> bool:  # fmt: skip
    """Whether an incoming п/п is a payer's own payment: no configured channel names its payer as
    agent (``agents``: the channels that do, ``domain.tieout.agent_candidates``; two channels of
    one bank both name it) and the center did not pay itself (a transfer between its own accounts
    is no payment)."""
    if agents:
        return False
    own = bool(center_account) and payer_account == center_account
    return not (own or (bool(center_inn) and payer_inn == center_inn))


def direct_operation_id(number: object, day: object, payer_account: object, amount: object) -> str:
    """The payment key's operation id of a payer's п/п: derived from its identity (date, number
    without leading zeros, payer's account, amount in kopecks), marked synthetic (``~``)."""
    number_text = str(number or "").strip().lstrip("0")
    day_text = day.isoformat() if isinstance(day, date) else str(day)[:10]
    return synthetic_operation_id("п/п", day_text, number_text, payer_account or "", int(amount))  # type: ignore[call-overload]


def operation_ids(transfers: pd.DataFrame) -> pd.Series:
    """``direct_operation_id`` of each п/п (``TRANSFER_COLUMNS``); a statement holds dozens, not millions."""
    columns = (transfers[c] for c in ("number", "date", "payer_account", "amount"))
    ids = [direct_operation_id(n, d, a, m) for n, d, a, m in zip(*columns, strict=True)]
    return pd.Series(ids, index=transfers.index, dtype=object)


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def describe(transfers: pd.DataFrame) -> pd.Series:
    """The provenance text of each п/п's payment (its «raw line»): number, date, sum, payer, purpose."""
    out = []
    for row in transfers.itertuples():  # dozens a night; the text is read by people
        payer = ", ".join(x for x in (row.payer_name, f"ИНН {row.payer_inn}" if row.payer_inn else "",
                                      f"счёт {row.payer_account}" if row.payer_account else "") if x)  # fmt: skip
        out.append(f"п/п № {row.number} от {_day(row.date):%d.%m.%Y} на {format_ru(int(row.amount))}; "
                   f"плательщик: {payer or '—'}; назначение: {row.purpose or '—'}")  # fmt: skip
    return pd.Series(out, index=transfers.index, dtype=object)


def direct_payments(transfers: pd.DataFrame) -> pd.DataFrame:
    """The payment frame (``domain.records.PAYMENT_COLUMNS``) of payers' п/п (``TRANSFER_COLUMNS``):
    one payment each, paid on the п/п's date, without commission, its fields naming no identifier
    (the purpose does, read when the night is decided)."""
    frame = pd.DataFrame({
        "line_no": transfers["line_no"].fillna(0).astype("int64"),
        "raw": describe(transfers),
        "operation_id": operation_ids(transfers),
        "paid_date": [_day(d).isoformat() for d in transfers["date"]],
        "amount": transfers["amount"].astype("int64"),
        "commission": pd.Series(0, index=transfers.index, dtype="Int64"),
        "payer": transfers["payer_name"].astype(object).where(transfers["payer_name"].astype(bool), None),
        "purpose": transfers["purpose"].astype(object).where(transfers["purpose"].astype(bool), None),
    }, index=transfers.index)  # fmt: skip
    return conform_payments(frame).reset_index(drop=True)


def register_key(statement_sha256: str, operation_ids: pd.Series) -> str:
    """The sha256 that names a statement's register of payers' п/п: of the statement and of the
    payments it holds (a statement read again adds no п/п, so its register is never made twice)."""
    text = "direct:" + statement_sha256 + ":" + ",".join(sorted(operation_ids.astype(str)))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
