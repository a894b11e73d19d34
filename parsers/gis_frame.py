"""ГИС ЖКХ notifications, column-wise, to the payments frame of a chunk (vectorized, pyarrow).

Both readers of ``parsers.gis_xml`` (the streaming one and the block one) hand over ``Batch``\\ es:
the notifications' source lines, provenance text and untrimmed field texts as arrow columns, and
the XSD verdict per notification when a schema is configured. ``build_chunk`` turns a batch into a
``Chunk``: schema failures and notifications without a readable ``OrderID``/``OrderDate``/``Amount``
become ``LineError``\\ s, the rest the payment frame (``domain.records.PAYMENT_COLUMNS``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.identifiers.account import compact_column
from domain.line_checks import line_checks
from domain.money import GIS_KOPECKS, KOPECKS, parse_or_none
from domain.money_vec import kopecks_column
from domain.records import LineError, conform_payments
from parsers.base import Chunk
from parsers.gis_fields import TEXT_FIELDS

_XML_DATE = r"^\d{4}-\d{2}-\d{2}(?:Z|[+-]\d{2}:\d{2})?$"


@dataclass(frozen=True)
class Batch:
    """Notifications in file order, column-wise."""

    line_no: np.ndarray  # int64: the line of each notification's start tag
    raw: np.ndarray  # object (str): the notification's XML (provenance), at most ``RAW_LIMIT`` characters
    text: dict[str, pa.Array | pa.ChunkedArray]  # ``TEXT_FIELDS`` -> string (null: no such leaf), untrimmed
    xsd: tuple[str | None, ...] | None = None  # per notification: the schema error, None if valid

    def __len__(self) -> int:
        return len(self.line_no)

    def slice(self, start: int, stop: int) -> Batch:
        """The notifications ``start:stop``."""
        count = stop - start
        return Batch(
            self.line_no[start:stop],
            self.raw[start:stop],
            {name: values.slice(start, count) for name, values in self.text.items()},
            None if self.xsd is None else self.xsd[start:stop],
        )


def concat(batches: list[Batch]) -> Batch:
    """One batch of ``batches`` in order (all read with or all without a schema); the text columns
    become chunked arrays, so nothing long is copied."""
    if len(batches) == 1:
        return batches[0]
    xsd = None if batches[0].xsd is None else tuple(r for b in batches for r in b.xsd)  # type: ignore[union-attr]
    return Batch(
        np.concatenate([b.line_no for b in batches]),
        np.concatenate([b.raw for b in batches]),
        {name: pa.chunked_array([b.text[name] for b in batches], pa.string()) for name in TEXT_FIELDS},
        xsd,
    )


def from_rows(rows: list[list], reasons: list[str | None] | None) -> Batch:
    """A batch of per-notification rows (``parsers.gis_fields.FIELDS`` order) of the streaming reader."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * (len(TEXT_FIELDS) + 2)
    text = {name: pa.array(col, pa.string()) for name, col in zip(TEXT_FIELDS, columns[2:], strict=True)}
    raw = np.empty(len(rows), dtype=object)
    raw[:] = columns[1]
    return Batch(np.array(columns[0], dtype=np.int64), raw, text, None if reasons is None else tuple(reasons))


def amount_or_none(text: str | None) -> int | None:
    """Kopecks of an ``Amount`` text, None when absent or unreadable (for a ``LineError``)."""
    return parse_or_none(text, KOPECKS)


def build_chunk(file: str, batch: Batch, meta: dict[str, str]) -> Chunk:
    """The chunk of ``batch``: its payment frame and its line errors (sorted by line)."""
    line_no, raw = batch.line_no, batch.raw
    errors: list[LineError] = []
    keep = np.ones(len(batch), dtype=bool)
    if batch.xsd is not None:
        amounts = batch.text["amount_text"]
        for i in [i for i, reason in enumerate(batch.xsd) if reason is not None]:
            reason = batch.xsd[i]
            amount = amount_or_none(amounts[i].as_py())
            errors.append(LineError(file, int(line_no[i]), reason, raw[i], amount))  # type: ignore[arg-type]
            keep[i] = False
    text = {name: _trimmed(values) for name, values in batch.text.items()}
    kopecks = kopecks_column(text["amount_text"], GIS_KOPECKS)
    reasons = _reasons(text, kopecks)
    bad = np.flatnonzero(keep & pc.not_equal(reasons, "").to_numpy(zero_copy_only=False))
    for i in bad:
        amount = amount_or_none(text["amount_text"][i].as_py())
        errors.append(LineError(file, int(line_no[i]), reasons[i].as_py(), raw[i], amount))
    keep[bad] = False
    if not keep.all():
        mask = pa.array(keep)
        line_no, raw = line_no[keep], raw[keep]
        text = {name: values.filter(mask) for name, values in text.items()}
        kopecks = kopecks.filter(mask)
    # binary_join_element_wise with null_handling="skip" drops rows in pyarrow 26: fill instead
    parts = [pc.fill_null(text[name], "") for name in ("surname", "first_name", "patronymic")]
    fio = pc.utf8_trim_whitespace(pc.binary_join_element_wise(*parts, " "))
    fio = pc.replace_substring(fio, "  ", " ")  # a missing first name (XSD: required)
    payer = pc.coalesce(text["supplier_name"], pc.if_else(pc.equal(fio, ""), None, fio))
    payments = pd.DataFrame(
        {
            "line_no": pd.Series(line_no, dtype="int64"),
            "raw": pd.Series(raw, dtype=object, copy=False),
            "operation_id": _objects(text["operation_id"]),
            "paid_date": _objects(pc.utf8_slice_codeunits(text["order_date"], 0, 10)),
            "account_raw": _objects(text["account_raw"]),
            "account": _objects(compact_column(text["account_raw"])),
            "uip": _objects(text["uip"]),
            "els": _objects(text["els"]),
            "period": _objects(_period(text["year"], text["month"])),
            "amount": kopecks.to_numpy(zero_copy_only=False),
            "payer": _objects(payer),
            "supplier_inn": _objects(text["supplier_inn"]),
            "purpose": _objects(text["purpose"]),
        }
    )
    errors.sort(key=lambda e: e.line_no)
    return Chunk(payments=conform_payments(payments), errors=tuple(errors), declared=None, meta=dict(meta))


def _trimmed(values: pa.Array) -> pa.Array:
    """Texts with surrounding whitespace removed, empty as null."""
    trimmed = pc.utf8_trim_whitespace(values)
    return pc.if_else(pc.equal(trimmed, ""), None, trimmed)


def _objects(values: pa.Array) -> pd.Series:
    """A pandas object column of ``str`` (None for null): identifiers stay text."""
    return pd.Series(values.to_numpy(zero_copy_only=False), dtype=object, copy=False)


def _matches(values: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(values, pattern), False)


def _reasons(text: dict[str, pa.Array], kopecks: pa.Array) -> pa.Array:
    """Per row, why it cannot be a payment ("" when it can): the checks that hold without an XSD.

    ``Amount`` (``kopecks``) must be what ``domain.money.GIS_KOPECKS`` reads: ASCII digits, at
    most 18 of them so that it fits int64.
    """
    op, dates = text["operation_id"], text["order_date"]
    day = pc.strptime(pc.utf8_slice_codeunits(dates, 0, 10), format="%Y-%m-%d", unit="s", error_is_null=True)
    # A notification naming no ЛС, ИПД or ЕЛС stays a payment (in suspense): ГИС ЖКХ has recorded the
    # money as paid and no bank resends it, so the accountant places it (docs/FORMATS.md).
    domain = line_checks(
        account=text["account_raw"],
        uip=text["uip"],
        els=text["els"],
        amount=pc.fill_null(kopecks, 0).to_numpy(zero_copy_only=False),
        has_amount=pc.is_valid(kopecks).to_numpy(zero_copy_only=False),
        operation_id=op,
        operation_id_name="OrderID",
        require_identifier=False,
    )
    checks = [
        (pc.is_null(op), "OrderID missing"),
        *((pa.array(mask), label) for mask, label in domain),
        (pc.or_(pc.invert(_matches(dates, _XML_DATE)), pc.is_null(day)), "OrderDate missing or not a date"),
        (pc.is_null(kopecks), "Amount missing or not a whole number of kopecks"),
    ]  # fmt: skip
    parts = [pc.if_else(mask, label, "") for mask, label in checks]
    joined = pc.replace_substring_regex(pc.binary_join_element_wise(*parts, "; "), "(?:; ){2,}", "; ")
    return pc.utf8_trim(joined, "; ")


def _period(year: pa.Array, month: pa.Array) -> pa.Array:
    """``YYYY-MM`` from ``Year``/``Month``; null where either is absent or unreadable."""
    ok = pc.and_(_matches(year, r"^\d{4}$"), _matches(month, r"^(0?[1-9]|1[0-2])$"))
    text = pc.binary_join_element_wise(year, pc.utf8_lpad(pc.utf8_ltrim(month, "0"), 2, "0"), "-")
    return pc.if_else(ok, text, None)
