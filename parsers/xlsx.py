"""XLSX registers of online channels, configured by a profile (``parsers/dialects/<name>.yaml``).

The first sheet holds one or more title rows ("Реестр платежей за 20.11.2026 …"), a header row,
one payment a row and a closing "Итого" row. The header row is the first row (within
``header_search_rows``) whose cells name every required field; names are matched exactly against
the profile's aliases after folding case, spaces and ё. Cells are read with python-calamine;
their conversion (dates, exact money from float cells, identifiers kept as text) is in
``parsers.xlsx_cells``.

The "Итого" row gives the declared totals: the amount (Сумма column), the commission
(Комиссия column) and the count when the row carries one (a number in the marker cell's text,
"Итого: 3", or a whole number in another non-money column). Empty rows are skipped. After the
Итого row, rows that look like payments (a readable date and an amount) are errors (``LineError``: they
then count against the totals and quarantine the register, since money after the totals is
either a second register pasted below or an edit after the totals were made); any other row
there (signatures, "К перечислению", notes) is ignored.

A file that is not a readable workbook, declares a zip bomb, has no header row, or (when the
profile requires it) no Итого row raises ``BadFile``.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine
import yaml

from domain.identifiers.account import compact as compact_account
from domain.records import DeclaredTotals, LineError, conform_payments, synthetic_operation_id
from parsers import xlsx_cells as cells
from parsers.base import CHUNK_ROWS, BadFile, Chunk
from parsers.xlsx_probe import first_rows
from parsers.zipguard import ZIP_MAGIC, ZipLimits, check_zip, read_member

DIALECTS = Path(__file__).resolve().parent / "dialects"
FIELDS = ("paid_date", "paid_time", "operation_id", "uip", "els", "account_raw", "payer", "address",
          "period", "amount", "commission")  # fmt: skip
_SPACES = re.compile(r"\s+")


def normalise(name: object) -> str:
    """A header or marker as compared: lower case, ё→е, single spaces, no trailing ``:``/``.``."""
    text = _SPACES.sub(" ", str(name).replace("\u00a0", " ")).strip().lower().replace("ё", "е")
    return text.rstrip(":. ")


@dataclass(frozen=True)
class XlsxProfile:
    """How one channel lays out its XLSX register (loaded from YAML)."""

    name: str
    aliases: dict[str, str]  # normalised header name -> field
    required: tuple[str, ...]
    header_search_rows: int = 30
    total_markers: tuple[str, ...] = ("итого",)
    require_totals: bool = True
    zip_limits: ZipLimits = field(default_factory=ZipLimits)

    @classmethod
    def load(cls, name_or_path: str | Path) -> XlsxProfile:
        """A built-in profile by name (``xlsx_portal``) or a YAML file by path."""
        path = Path(name_or_path)
        if path.suffix not in (".yaml", ".yml"):
            path = DIALECTS / f"{name_or_path}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}
        for fld, names in data["columns"].items():
            if fld not in FIELDS:
                raise ValueError(f"{path}: unknown field {fld!r} (known: {', '.join(FIELDS)})")
            for alias in names:
                aliases[normalise(alias)] = fld
        required = tuple(data.get("required", ("paid_date", "amount")))
        if not {"paid_date", "amount"} <= set(required) or not set(required) <= set(data["columns"]):
            raise ValueError(f"{path}: required must include paid_date and amount and name known columns")
        totals = data.get("totals", {})
        zip_conf = data.get("zip", {})
        limits = ZipLimits(
            max_total=int(zip_conf.get("max_total_mb", 1024)) << 20, max_ratio=float(zip_conf.get("max_ratio", 200))
        )
        return cls(
            name=str(data["name"]), aliases=aliases, required=required,
            header_search_rows=int(data.get("header_search_rows", 30)),
            total_markers=tuple(normalise(m) for m in totals.get("markers", ["Итого"])),
            require_totals=bool(totals.get("required", True)), zip_limits=limits,
        )  # fmt: skip

    def header(self, row: list[object]) -> dict[str, int] | None:
        """Field -> column index if ``row`` is the header row (names every required field), else None."""
        found: dict[str, int] = {}
        for index, cell in enumerate(row):
            if type(cell) is not str or not cell.strip():
                continue
            fld = self.aliases.get(normalise(cell))
            if fld is not None and fld not in found:
                found[fld] = index
        return found if all(r in found for r in self.required) else None

    def is_total(self, row: list[object]) -> str | None:
        """The marker cell's text when ``row`` is the Итого row, else None."""
        for cell in row:
            if type(cell) is str and cell:
                text = normalise(cell)
                for marker in self.total_markers:
                    if text.startswith(marker) and not text[len(marker) : len(marker) + 1].isalpha():
                        return text
        return None


class XlsxRegisterParser:
    """``RegisterParser`` for XLSX registers laid out as an ``XlsxProfile`` says."""

    format = "xlsx"

    def __init__(self, profile: XlsxProfile, *, chunk_rows: int = CHUNK_ROWS) -> None:
        self.profile = profile
        self.name = f"xlsx:{profile.name}"
        self.chunk_rows = chunk_rows

    @classmethod
    def from_profile(cls, name_or_path: str | Path) -> XlsxRegisterParser:
        """The parser of a built-in profile (``parsers/dialects/<name>.yaml``) or of a YAML file."""
        return cls(XlsxProfile.load(name_or_path))

    def identify(self, path: Path, head: bytes) -> bool:
        """A zip holding a spreadsheetml workbook whose first rows contain this profile's header."""
        if not head.startswith(ZIP_MAGIC):
            return False
        types = read_member(Path(path), "[Content_Types].xml")
        if types is None or b"spreadsheetml" not in types:
            return False
        rows = first_rows(Path(path), self.profile.header_search_rows)
        return rows is not None and any(self.profile.header(list(r)) is not None for r in rows)

    def parse(self, path: Path) -> Iterator[Chunk]:
        """Stream the register as chunks; the last carries the Итого totals. ``BadFile`` if unreadable."""
        path = Path(path)
        check_zip(path, self.profile.zip_limits)
        rows = enumerate(self._rows(path), start=1)
        columns = None
        for line_no, row in rows:
            columns = self.profile.header(row)
            if columns is not None or line_no >= self.profile.header_search_rows:
                break
        if columns is None:
            raise BadFile(path, f"no header row with the columns {', '.join(self.profile.required)} "
                          f"in the first {self.profile.header_search_rows} rows of the first sheet")  # fmt: skip
        # The row loop creates millions of small lists; CPython's cyclic GC would rescan the growing
        # heap again and again (~20 % of the parse time). None of them form cycles: pause the GC
        # while this generator runs, and give it back at every yield and at the end.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            for chunk in self._scan(path, rows, columns):
                if was_enabled:
                    gc.enable()
                yield chunk
                gc.disable()
        finally:
            if was_enabled:
                gc.enable()

    def _scan(self, path: Path, rows: Iterator[tuple[int, list[object]]], columns: dict[str, int]) -> Iterator[Chunk]:
        date_col, amount_col = columns["paid_date"], columns["amount"]
        date_types, chunk_rows, is_total = cells.DATE_TYPES, self.chunk_rows, self.profile.is_total
        batch: list[tuple[int, list[object]]] = []
        pending: list[tuple[int, list[object]]] | None = None
        declared: DeclaredTotals | None = None
        late: list[LineError] = []
        for line_no, row in rows:
            # hot loop (one pass per row): a row with a real date cell is a payment row, no more checks
            if type(row[date_col]) not in date_types:
                if declared is not None:
                    if not cells.paid_date(row[date_col])[2] and _filled(row[amount_col]):  # a text date
                        late.append(self._late(path, line_no, row, columns))
                    continue
                marker = is_total(row)
                if marker is not None:
                    declared = self._totals(path, line_no, row, marker, columns)
                    continue
                if not any(map(_filled, row)):
                    continue
            elif declared is not None:
                late.append(self._late(path, line_no, row, columns))
                continue
            batch.append((line_no, row))
            if len(batch) >= chunk_rows:
                if pending is not None:
                    yield _build_chunk(str(path), pending, columns)
                pending, batch = batch, []
        if declared is None and self.profile.require_totals:
            raise BadFile(path, "no Итого row: the register has no control totals (truncated?)")
        if pending is not None and batch:
            yield _build_chunk(str(path), pending, columns)
            pending = None
        last = _build_chunk(str(path), pending or batch, columns)
        yield Chunk(last.payments, last.errors + tuple(late), declared, {"profile": self.profile.name})

    @staticmethod
    def _rows(path: Path) -> Iterator[list[object]]:
        try:
            with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
                if not book.sheet_names:
                    raise BadFile(path, "the workbook has no sheet")
                sheet = book.get_sheet_by_index(0)
        except BadFile:
            raise
        except Exception as exc:  # calamine's errors (zip, XML, password) all mean an unreadable workbook
            raise BadFile(path, f"not a readable XLSX workbook: {type(exc).__name__}: {exc}") from exc
        except BaseException as exc:  # a Rust panic surfaces as pyo3's PanicException (a BaseException)
            if type(exc).__name__ != "PanicException":
                raise
            raise BadFile(path, f"not a readable XLSX workbook: reader failure: {exc}") from exc
        yield from sheet.iter_rows()

    def _totals(
        self, path: Path, line_no: int, row: list[object], marker: str, columns: dict[str, int]
    ) -> DeclaredTotals:
        amount_col = columns["amount"]
        kop, ok, reasons = cells.amounts([row[amount_col]], positive=False, name="Итого amount")
        if not ok[0]:
            raise BadFile(path, f"row {line_no}: the Итого row's amount is unreadable: {reasons[0]}")
        commission = None
        if "commission" in columns and _filled(row[columns["commission"]]):
            ckop, cok, creasons = cells.amounts([row[columns["commission"]]], positive=False, name="Итого commission")
            if not cok[0]:
                raise BadFile(path, f"row {line_no}: the Итого row's commission is unreadable: {creasons[0]}")
            commission = int(ckop[0])
        return DeclaredTotals(count=_count(row, marker, columns), amount=int(kop[0]), commission=commission)

    def _late(self, path: Path, line_no: int, row: list[object], columns: dict[str, int]) -> LineError:
        kop, ok, _ = cells.amounts([row[columns["amount"]]], positive=True, name="amount")
        return LineError(
            str(path), line_no, "payment row after the Итого row", _raw(row), int(kop[0]) if ok[0] else None
        )


def _filled(cell: object) -> bool:
    return not (cell is None or (type(cell) is str and not cell.strip()))


def _raw(row: list[object]) -> str:
    return ";".join(c if type(c) is str else cells.raw_text(c) for c in row)


def _count(row: list[object], marker: str, columns: dict[str, int]) -> int | None:
    """The line count an Итого row declares, if any: "Итого: 3" or a whole number outside the money columns."""
    match = re.search(r"\d+", marker)
    if match is not None:
        return int(match.group())
    money = {columns.get("amount"), columns.get("commission")}
    for index, cell in enumerate(row):
        if index in money:
            continue
        if type(cell) is float and cell.is_integer() and cell >= 0:
            return int(cell)
        if type(cell) is str and cell.strip().isdigit():
            return int(cell.strip())
    return None


def _build_chunk(file: str, batch: list[tuple[int, list[object]]], columns: dict[str, int]) -> Chunk:
    """Convert a batch of (line_no, row) into payments and line errors, column by column."""
    if not batch:
        return Chunk(conform_payments(pd.DataFrame({"line_no": pd.Series([], dtype="int64")})))
    n = len(batch)
    line_nos = np.fromiter((b[0] for b in batch), dtype=np.int64, count=n)
    table = list(zip(*(b[1] for b in batch), strict=True))  # columns of the sheet
    by_field = {f: list(table[i]) for f, i in columns.items()}
    amount, amount_ok, amount_why = cells.amounts(by_field["amount"], positive=True, name="amount")
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
    commission: list[int | None] = [None] * n
    comm_why = [""] * n
    if "commission" in by_field:
        raw_comm = by_field["commission"]
        ckop, cok, creasons = cells.amounts(raw_comm, positive=False, name="commission")
        commission = [int(k) if ok else None for k, ok in zip(ckop.tolist(), cok.tolist(), strict=True)]
        comm_why = [why if _filled(c) else "" for why, c in zip(creasons, raw_comm, strict=True)]  # empty is NA
    why = [
        d or a or c or acc or op or u
        for d, a, c, acc, op, u in zip(date_why, amount_why, comm_why, account_why, op_why, uip_why, strict=True)
    ]
    bad = np.fromiter(map(bool, why), dtype=bool, count=n)
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
            "period": obj(cells.memoised(cells.period, by_field["period"]) if "period" in by_field else None),
            "amount": amount,
            "commission": pd.array(commission, dtype="Int64"),
            "payer": obj(cells.texts(by_field["payer"]) if "payer" in by_field else None),
            "address": obj(cells.texts(by_field["address"]) if "address" in by_field else None),
        }
    )
    payments = conform_payments(frame[~bad].reset_index(drop=True))
    return Chunk(payments, errors)
