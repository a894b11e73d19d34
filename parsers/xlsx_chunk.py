"""One batch of spreadsheet rows to a chunk of payments and rejected rows, converted column by column."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from domain.identifiers.account import compact as compact_account
from domain.line_checks import line_checks
from domain.line_checks import reasons as line_reasons
from domain.qr_lines import (
    PayloadFindings,
    fill_from_payloads,
    payload_findings,
    read_line_payloads,
    rejection_notes,
)
from domain.records import LineError, conform_payments, synthetic_operation_id
from parsers import sheet_fields
from parsers import xlsx_cells as cells
from parsers.base import Chunk
from parsers.sheet_header import ServiceColumn


def money(kopecks: frozenset[str], fld: str) -> Callable[..., tuple[np.ndarray, np.ndarray, list[str]]]:
    """The converter of a money column: rubles (``cells.amounts``) or, when its header says коп., kopecks."""
    return cells.kopeck_amounts if fld in kopecks else cells.amounts


def filled(cell: object) -> bool:
    """Whether a cell holds anything but whitespace."""
    return not (cell is None or (type(cell) is str and not cell.strip()))


def build_chunk(file: str, batch: list[tuple[int, list[object]]], columns: dict[str, int],
                kopecks: frozenset[str] = frozenset(), services: tuple[ServiceColumn, ...] = ()) -> Chunk:  # fmt: skip
    """Convert a batch of (line_no, row) into payments and line errors, column by column.

    ``kopecks``: the money fields whose header says коп. (whole kopecks, not rubles); ``services``:
    the columns of the bank's split by service (``parsers.sheet_fields.splits``).
    """
    if not batch:
        return Chunk(conform_payments(pd.DataFrame({"line_no": pd.Series([], dtype="int64")})))
    n = len(batch)
    line_nos = np.fromiter((b[0] for b in batch), dtype=np.int64, count=n)
    table = list(zip(*(b[1] for b in batch), strict=True))  # columns of the sheet
    by_field = {f: list(table[i]) for f, i in columns.items()}
    amount, amount_ok, amount_why = money(kopecks, "amount")(by_field["amount"], positive=True, name="amount")
    paid_date, paid_time, date_why, date_raw = cells.dates(by_field["paid_date"])
    raw = cells.raw_lines(table, {columns["paid_date"]: date_raw})
    if "paid_time" in by_field:
        times = cells.memoised(cells.paid_time, by_field["paid_time"])
        paid_time = [t or d for t, d in zip(times, paid_time, strict=True)]
    empty: list[object] = [""] * n
    account_raw, account_why = cells.identifiers(by_field.get("account_raw", empty))
    op_ids, op_why = cells.identifiers(by_field.get("operation_id", empty))
    uip, uip_why = cells.identifiers(by_field.get("uip", empty))
    els, _ = cells.identifiers(by_field.get("els", empty))
    purpose = cells.texts(by_field["purpose"]) if "purpose" in by_field else None
    period = _periods(by_field)
    qr = cells.texts(by_field["qr"]) if "qr" in by_field else None
    qr_flag: np.ndarray | None = None
    qr_detail: np.ndarray | None = None
    if qr is not None:  # a receipt's QR payload gives the identifiers the row lacks (domain/qr_lines.py)
        payloads = read_line_payloads(qr)
        found = payload_findings(payloads, amount=amount, has_amount=amount_ok, account=account_raw, uip=uip)
        qr_flag, qr_detail = found.code, found.detail
        if payloads.readable.any():
            account_raw = fill_from_payloads(account_raw, payloads.account).to_pylist()
            uip = fill_from_payloads(uip, payloads.uip).to_pylist()
            period = fill_from_payloads(period or [None] * n, payloads.period).to_pylist()
    # the domain's checks, as for text and DBF lines (a zero amount is already unreadable: positive=True)
    checks = line_checks(account=account_raw, uip=uip, els=els, amount=amount, has_amount=amount_ok,
                         operation_id=op_ids if "operation_id" in by_field else None, purpose=purpose)  # fmt: skip
    domain_why = line_reasons(checks, n)
    split: list[object] = [None] * n
    split_why = [""] * n
    if services:
        split, split_why = sheet_fields.splits(table, services, amount, amount_ok)
    commission: list[int | None] = [None] * n
    comm_why = [""] * n
    if "commission" in by_field:
        raw_comm = by_field["commission"]
        ckop, cok, creasons = money(kopecks, "commission")(raw_comm, positive=False, name="commission")
        commission = [int(k) if ok else None for k, ok in zip(ckop.tolist(), cok.tolist(), strict=True)]
        comm_why = [why if filled(c) else "" for why, c in zip(creasons, raw_comm, strict=True)]  # empty is NA
    why = [
        d or a or c or acc or op or u or i or s
        for d, a, c, acc, op, u, i, s in zip(
            date_why, amount_why, comm_why, account_why, op_why, uip_why, domain_why, split_why, strict=True
        )
    ]
    bad = np.fromiter(map(bool, why), dtype=bool, count=n)
    if qr_flag is not None:  # a row rejected for naming no payer says its payload could not be read
        notes = rejection_notes(PayloadFindings(qr_flag, qr_detail), n)
        why = [f"{w}; {note}" if w and note else w for w, note in zip(why, notes, strict=True)]
    errors = tuple(
        LineError(file, int(line_nos[i]), why[i], str(raw[i]), int(amount[i]) if amount_ok[i] else None)
        for i in np.flatnonzero(bad)
    )
    amounts = amount.tolist()
    for i in range(n):  # formats without operation ids: a stable id from the payment's own fields
        if op_ids[i] is None:
            op_ids[i] = synthetic_operation_id(paid_date[i], paid_time[i], account_raw[i], uip[i], amounts[i])

    def obj(values: object) -> pd.Series:  # object dtype as PAYMENT_COLUMNS says; no str inference
        return pd.Series(values if values is not None else [None] * n, dtype=object)

    frame = pd.DataFrame(
        {
            "line_no": line_nos,
            "raw": obj(raw),
            "operation_id": obj(op_ids),
            "paid_date": obj(paid_date),
            "paid_time": obj(paid_time),
            "account_raw": obj(account_raw),
            "account": obj([None if a is None else compact_account(a) for a in account_raw]),
            "uip": obj(uip),
            "els": obj(els),
            "period": obj(period),
            "amount": amount,
            "commission": pd.array(commission, dtype="Int64"),
            "payer": obj(cells.texts(by_field["payer"]) if "payer" in by_field else None),
            "address": obj(cells.texts(by_field["address"]) if "address" in by_field else None),
            "services": obj(split),
            "purpose": obj(purpose),
            "method_raw": obj(cells.texts(by_field["method"]) if "method" in by_field else None),
            "qr": obj(qr),
            "qr_flag": obj(qr_flag),
            "qr_detail": obj(qr_detail),
        }
    )
    payments = conform_payments(frame[~bad].reset_index(drop=True))
    return Chunk(payments, errors)


def _periods(by_field: dict[str, list[object]]) -> list[str | None] | None:
    """The period from two columns (Месяц, Год) when the sheet has both, else the period column, else None."""
    if "period_month" in by_field and "period_year" in by_field:
        return sheet_fields.periods(by_field["period_month"], by_field["period_year"])
    return cells.memoised(cells.period, by_field["period"]) if "period" in by_field else None
