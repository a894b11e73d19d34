"""DBF (dBase III/IV) payment registers, configured by a profile (``parsers/dialects/<name>.yaml``).

Regional banks and payment agents send their registers as dBase tables in cp866 (sometimes
cp1251): one payment a record, fields such as ``LS`` (account), ``FIO``, ``ADRES``, ``SUMMA``,
``KOMIS``, ``DATA`` (a D field or text), ``PERIOD`` (``MMYY``), ``N_OPER``. The profile
(``parsers.dbf_profile``) maps them to payment fields. Every record of the table is exactly one of:

- a payment;
- a deleted record (flag ``*``): counted as ``RecordKind.DELETED``, never read as a payment;
- the totals record, recognised by a marker in a configured field (``FIO = 'ИТОГО'``): its
  amount, commission and count become the register's ``DeclaredTotals`` (``RecordKind.TOTALS``);
- a rejected record (``LineError`` with the record number, the reasons, the fields joined with
  ``;`` and the amount when readable): unreadable amount or date, no account, a flag byte that
  is neither ``' '`` nor ``'*'``, text not valid in the encoding, a second totals record.

Amounts are read from the fields' text (N fields hold digits), never through float. A file that
is not a DBF table, lacks a required field, or is truncated raises ``BadFile`` (``parsers.dbf_table``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.identifiers import account as account_id
from domain.line_checks import line_checks
from domain.money import parse_or_none, register_spelling
from domain.money_vec import kopecks_column
from domain.qr_lines import (
    PayloadFindings,
    fill_from_payloads,
    payload_findings,
    read_line_payloads,
    rejection_notes,
)
from domain.records import DeclaredTotals, LineError, RecordKind, conform_payments, synthetic_operation_id
from parsers import text_columns as tc
from parsers.base import CHUNK_ROWS, BadFile, Chunk, read_head
from parsers.container import Container, sniff
from parsers.dbf_profile import DbfProfile, load_profile
from parsers.dbf_table import Column, Table, blocks, header_names, open_table, raw_records, text_column

_LIVE, _DELETED = 0x20, 0x2A


class DbfRegisterParser:
    """``RegisterParser`` for DBF registers laid out as a ``DbfProfile`` says."""

    format = "dbf"

    def __init__(self, profile: DbfProfile, *, chunk_rows: int = CHUNK_ROWS) -> None:
        self.profile = profile
        self.name = f"dbf:{profile.name}"
        self.chunk_rows = chunk_rows

    @classmethod
    def from_profile(cls, name_or_path: str | Path) -> DbfRegisterParser:
        """The parser of a built-in profile (``parsers/dialects/<name>.yaml``) or of a YAML file."""
        return cls(load_profile(name_or_path))

    def identify(self, path: Path, head: bytes) -> bool:
        """A DBF table (magic bytes) whose header names every field of the profile's identify rule."""
        if sniff(head) is not Container.DBF:
            return False
        names = set(header_names(head))
        return all(any(n in names for n in alternatives) for alternatives in self.profile.identify)

    def explain(self, path: Path) -> str:
        """Why ``identify`` refuses ``path``, on one line ("" when it does not): not a DBF table (its
        content named), or the fields the profile's ``identify.fields`` needs that the table lacks."""
        head = read_head(Path(path))
        kind = sniff(head)
        if kind is not Container.DBF:
            return f"not a DBF file: the content is {kind}"
        names = header_names(head)
        missing = [alts for alts in self.profile.identify if not any(n in names for n in alts)]
        if not missing:
            return ""
        has = ", ".join(names) or "none"
        has = has if len(has) <= 200 else has[:199] + "…"
        needs = ", ".join(" or ".join(alts) for alts in missing)
        return f"a DBF file whose fields are {has}; the profile needs {needs} (identify.fields)"

    def parse(self, path: Path) -> Iterator[Chunk]:
        """Stream the table as chunks; the last carries the totals record. ``BadFile`` if unreadable."""
        path = Path(path)
        table = open_table(path, self.profile.encoding)
        fields = self._columns(table)
        totals = self._totals_columns(table)
        meta = {"profile": self.profile.name, "encoding": table.encoding}
        declared: DeclaredTotals | None = None
        first_totals: int | None = None
        if table.records == 0:
            self._require_totals(path, None)
            yield Chunk(conform_payments(pd.DataFrame({"line_no": pd.Series([], dtype="int64")})), (), None, meta)
            return
        for first, block in blocks(table, self.chunk_rows):
            chunk, found = self._chunk(table, first, block, fields, totals)
            errors, non_payments = list(chunk.errors), dict(chunk.non_payments)
            for record_no, value, raw in found:
                if isinstance(value, LineError):
                    errors.append(value)
                elif first_totals is None:
                    declared, first_totals = value, record_no
                    non_payments[RecordKind.TOTALS.value] = non_payments.get(RecordKind.TOTALS.value, 0) + 1
                else:  # two totals records: which one holds is not ours to guess
                    reason = f"a second totals record (the first is record {first_totals})"
                    errors.append(LineError(str(path), record_no, reason, raw))
            errors.sort(key=lambda e: e.line_no)
            # The record count is known from the header: the last block is known without reading ahead,
            # so one chunk at a time is in memory.
            last = first + len(block) - 1 >= table.records
            if last:
                self._require_totals(path, declared)
            yield Chunk(chunk.payments, tuple(errors), declared if last else None, meta, non_payments)

    def _require_totals(self, path: Path, declared: DeclaredTotals | None) -> None:
        spec = self.profile.totals
        if spec is not None and spec.required and declared is None:
            raise BadFile(path, f"no totals record (a record whose {'/'.join(spec.field)} starts with "
                          f"{', '.join(spec.markers)}): the register has no control totals")  # fmt: skip

    def _columns(self, table: Table) -> dict[str, Column]:
        """Payment field -> the table's column (the first name present); ``BadFile`` naming what is missing."""
        found: dict[str, Column] = {}
        for fld, names in self.profile.fields.items():
            col = next((c for c in map(table.column, names) if c is not None), None)
            if col is not None:
                found[fld] = col
            elif fld in self.profile.required:
                raise BadFile(table.path, f"no DBF field for {fld}: looked for {', '.join(names)}; "
                              f"the table has {', '.join(table.names())}")  # fmt: skip
        return found

    def _totals_columns(self, table: Table) -> dict[str, Column] | None:
        spec = self.profile.totals
        if spec is None:
            return None
        out = {}
        for key, names in (("marker", spec.field), ("count", spec.count), ("amount", spec.amount),
                           ("commission", spec.commission)):  # fmt: skip
            col = next((c for c in map(table.column, names) if c is not None), None)
            if col is not None:
                out[key] = col
            elif key == "marker":
                raise BadFile(table.path, f"no DBF field for the totals marker: looked for {', '.join(names)}; "
                              f"the table has {', '.join(table.names())}")  # fmt: skip
        return out

    def _chunk(
        self, table: Table, first: int, block: np.ndarray, fields: dict[str, Column], totals: dict[str, Column] | None
    ) -> tuple[Chunk, list[tuple[int, DeclaredTotals | LineError, str]]]:
        """One block: payments, rejected records, non-payments and the totals records found in it."""
        p, file, n = self.profile, str(table.path), len(block)
        record_no = np.arange(first, first + n, dtype=np.int64)
        cols = {c.name: text_column(block, c, table.encoding) for c in table.columns}
        raw = raw_records(list(cols.values()))
        flag = block[:, 0]
        live, deleted = flag == _LIVE, flag == _DELETED
        is_total = ~deleted & self._marked(cols, totals)  # an odd flag on it is reported by _declared

        def get(fld: str) -> pa.Array:
            col = fields.get(fld)
            return cols[col.name] if col is not None else pa.nulls(n, pa.string())

        amount = kopecks_column(get("amount"), register_spelling(p.decimal, p.amount_unit))
        commission = kopecks_column(get("commission"), register_spelling(p.decimal, p.amount_unit))
        amt, has_amt = pc.fill_null(amount, 0).to_numpy(), _mask(pc.is_valid(amount))
        com, has_com = pc.fill_null(commission, 0).to_numpy(), _mask(pc.is_valid(commission))
        paid_date = self._dates(get("date"), fields.get("date"))
        paid_time = tc.times(get("time"), p.time_formats)
        qr_flag = qr_detail = None
        period_from_qr = None
        if "qr" in fields:  # a receipt's QR payload gives the identifiers the record lacks (domain/qr_lines.py)
            payloads = read_line_payloads(get("qr"))
            found = payload_findings(payloads, amount=amt, has_amount=has_amt, account=get("account"), uip=get("uip"))
            qr_flag, qr_detail = found.code, found.detail
            if payloads.readable.any():
                filled = {"account": fill_from_payloads(get("account"), payloads.account),
                          "uip": fill_from_payloads(get("uip"), payloads.uip)}  # fmt: skip
                get = lambda fld, _get=get: filled[fld] if fld in filled else _get(fld)  # noqa: E731
                period_from_qr = payloads.period
        ids = [get(k) for k in ("account", "uip", "els")]
        read = [cols[c.name] for c in fields.values()]
        checks: list[tuple[np.ndarray, str]] = [
            (~(live | deleted), "deletion flag is neither ' ' nor '*'"),
            (_mask(pc.is_null(paid_date)), "date missing or unreadable"),
            (_mask(pc.is_valid(get("time"))) & _mask(pc.is_null(paid_time)), "time unreadable"),
            *line_checks(account=ids[0], uip=ids[1], els=ids[2], amount=amt, has_amount=has_amt,
                         operation_id=get("operation_id") if "operation_id" in fields else None),
            (~has_amt, "amount missing or unreadable"),
            (_mask(pc.is_valid(get("commission"))) & ~has_com, "commission unreadable"),
            (has_amt & has_com & (com > amt), "commission exceeds the amount"),
            (np.logical_or.reduce([_mask(pc.match_substring(v, "\ufffd")) for v in read]),
             f"text not valid in {table.encoding}"),
        ]  # fmt: skip
        if "operation_id" in fields:
            op = get("operation_id")
            checks.append((_mask(pc.is_null(op)), "operation id missing"))
        candidate = ~deleted & ~is_total
        bad = np.zeros(n, dtype=bool)
        for mask, _ in checks:
            bad |= mask
        bad &= candidate
        notes = rejection_notes(None if qr_flag is None else PayloadFindings(qr_flag, qr_detail), n)
        errors = [
            LineError(file, int(record_no[i]), "; ".join([label for mask, label in checks if mask[i]]
                                                         + ([notes[i]] if notes[i] else [])),
                      raw[int(i)].as_py(), int(amt[i]) if has_amt[i] else None)
            for i in np.flatnonzero(bad)
        ]  # fmt: skip
        found = [(int(record_no[i]), self._declared(file, int(record_no[i]), cols, totals, int(i), raw, live[i]),
                  raw[int(i)].as_py()) for i in np.flatnonzero(is_total)]  # fmt: skip
        good = candidate & ~bad
        v = {k: get(k) for k in ("account", "uip", "els", "period", "operation_id", "payer", "address", "method",
                                 "qr")}  # fmt: skip
        v.update(raw=raw, paid_date=paid_date, paid_time=paid_time)
        payments = self._frame(good, record_no, v, fields, amt, com, has_com)
        payments = with_qr(payments, good, period_from_qr, qr_flag, qr_detail)
        non_payments = {RecordKind.DELETED.value: int(deleted.sum())} if deleted.any() else {}
        return Chunk(payments, tuple(errors), None, {}, non_payments), found

    def _marked(self, cols: dict[str, pa.Array], totals: dict[str, Column] | None) -> np.ndarray:
        """Records whose marker field starts with a totals marker (a whole word: "Итого", not "Итоговый")."""
        if totals is None:
            n = len(next(iter(cols.values())))
            return np.zeros(n, dtype=bool)
        alternatives = "|".join(_marker_regex(m) for m in self.profile.totals.markers)  # type: ignore[union-attr]
        found = pc.match_substring_regex(
            cols[totals["marker"].name], rf"^(?:{alternatives})(?:$|[^\pL])", ignore_case=True
        )
        return _mask(found)

    def _declared(
        self, file: str, record_no: int, cols: dict[str, pa.Array], totals: dict[str, Column] | None, i: int,
        raw: pa.Array, live: bool,
    ) -> DeclaredTotals | LineError:  # fmt: skip
        """The totals record's figures, or a ``LineError`` (no amount: totals are not money) when its
        flag is odd or its amount or count is unreadable."""
        spec, p = totals or {}, self.profile
        if not live:
            return LineError(file, record_no, "totals record: deletion flag is neither ' ' nor '*'", raw[i].as_py())

        def value(key: str) -> str | None:
            col = spec.get(key)
            return cols[col.name][i].as_py() if col is not None else None

        figures: dict[str, int | None] = {}
        for key in ("amount", "commission"):
            text = value(key)
            kop = parse_or_none(text, register_spelling(p.decimal, p.amount_unit))
            if text is not None and kop is None:
                return LineError(file, record_no, f"totals record: {key} unreadable", raw[i].as_py())
            figures[key] = kop
        count_text = value("count")
        if count_text is not None and not (count_text.isascii() and count_text.isdigit()):
            return LineError(file, record_no, "totals record: count unreadable", raw[i].as_py())
        if figures["amount"] is None:
            return LineError(file, record_no, "totals record without an amount", raw[i].as_py())
        count = int(count_text) if count_text is not None else None
        return DeclaredTotals(count=count, amount=figures["amount"], commission=figures["commission"])

    def _dates(self, values: pa.Array, col: Column | None) -> pa.Array:
        """ISO dates: a D field is ``YYYYMMDD``; a text field has the profile's spellings."""
        if col is not None and col.type == "D":
            return tc.dates(values, ("yyyymmdd",))
        return tc.dates(values, self.profile.date_formats)

    def _frame(self, good: np.ndarray, record_no: np.ndarray, v: dict[str, pa.Array], fields: dict[str, Column],
               amt: np.ndarray, com: np.ndarray, has_com: np.ndarray) -> pd.DataFrame:  # fmt: skip
        """The payment frame of the ``good`` records, in file order (``v``: text and parsed columns)."""
        keep = pa.array(good)

        def col(values: pa.Array) -> pd.Series:
            return pd.Series(tc.objects(values.filter(keep)), dtype=object)

        account_raw = v["account"].filter(keep)
        period_col = fields.get("period")
        if period_col is not None and period_col.type == "D":  # a date as the period: its year and month
            period = tc.periods(pc.utf8_slice_codeunits(v["period"], 0, 6), ("yyyymm",))
        else:
            period = tc.periods(v["period"], self.profile.period_formats)
        amounts = amt[good]
        date_s, time_s = col(v["paid_date"]), col(v["paid_time"])
        if "operation_id" in fields:
            op_ids = col(v["operation_id"])
        else:  # registers without operation ids: a stable id from the payment's own fields
            parts = zip(date_s, time_s, tc.objects(account_raw), amounts.tolist(), strict=True)
            op_ids = pd.Series([synthetic_operation_id(d, t, a, None, k) for d, t, a, k in parts], dtype=object)
        frame = pd.DataFrame(
            {
                "line_no": record_no[good],
                "raw": col(v["raw"]),
                "operation_id": op_ids,
                "paid_date": date_s,
                "paid_time": time_s,
                "account_raw": pd.Series(tc.objects(account_raw), dtype=object),
                "account": pd.Series(tc.objects(account_id.compact_column(account_raw)), dtype=object),
                "uip": col(v["uip"]),
                "els": col(v["els"]),
                "period": col(period),
                "amount": amounts,
                "commission": pd.arrays.IntegerArray(com[good], ~has_com[good]),
                "payer": col(v["payer"]),
                "address": col(v["address"]),
                "method_raw": col(v["method"]),
                "qr": col(v["qr"]),
            }
        )
        return conform_payments(frame)


def with_qr(payments: pd.DataFrame, good: np.ndarray, period: pa.Array | None, flag: np.ndarray | None,
            detail: np.ndarray | None) -> pd.DataFrame:  # fmt: skip
    """The ``good`` records' payments with the period their QR payload gives where they name none, and
    the payloads' findings (``domain.qr_lines.payload_findings``)."""
    if flag is None:
        return payments
    out = {"qr_flag": pd.Series(flag[good], index=payments.index, dtype=object),
           "qr_detail": pd.Series(detail[good], index=payments.index, dtype=object)}  # fmt: skip
    if period is not None:
        from_qr = pd.Series(tc.objects(period.filter(pa.array(good))), index=payments.index, dtype=object)
        out["period"] = payments["period"].where(payments["period"].notna(), from_qr)
    return payments.assign(**out)


def _marker_regex(marker: str) -> str:
    """A normalised marker as a regex: е also matches ё, a space any run of whitespace."""
    return r"\s+".join(re.escape(word).replace("е", "[её]") for word in marker.split(" "))


def _mask(values: pa.Array) -> np.ndarray:
    """A boolean numpy mask, null as False."""
    return pc.fill_null(values, False).to_numpy(zero_copy_only=False)
