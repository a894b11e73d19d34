"""Spreadsheet registers (XLSX, ODS, legacy XLS, an HTML table saved as .xls), configured by a profile.

The container is told from the file's bytes (``parsers.sheet_source``), never its name; all of them
are read as rows of the first sheet and laid out by one ``XlsxProfile`` (``parsers.xlsx_profile``):
title rows ("Реестр платежей за 20.11.2026 …"), a header row (or two merged rows, or the
profile's ``header_rows``) within ``header_search_rows``, perhaps a row of column numbers, one
payment a row and a closing "Итого" row. Cells are converted by ``parsers.xlsx_cells`` (dates,
exact money from float cells, identifiers kept as text; amounts in kopecks where the header says
коп.).

Every row calamine yields is exactly one of: a payment, a rejected row (``LineError``), or a
declared non-payment counted by ``RecordKind`` in the last chunk's ``non_payments``:

- above the header: BLANK (empty) or TITLE; a row there that reads as a payment (a date and an
  amount in the header's columns) is rejected loudly, never taken for a title;
- the header row(s): HEADER, once per header row; a row ``1, 2, 3 …`` under it: COLUMN_NUMBERS;
- between header and Итого: BLANK, or a payment row (a row that does not convert is rejected);
- the Итого row: TOTALS (it gives the declared amount, commission and count); a profile with
  ``totals: none`` has no Итого row (declared totals None: an unverified register);
- after Итого: a row that looks like a payment (a readable date and an amount) is rejected (it
  counts against the totals and quarantines the register: money after the totals is a second
  register pasted below or an edit made after the totals); BLANK; anything else is a NOTE.

A file that is not a readable workbook, declares a zip bomb, has no header row, or (when the
profile requires it) no Итого row raises ``BadFile``; ``explain`` says why a file is not identified.
"""

from __future__ import annotations

import gc
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import chain, islice
from pathlib import Path

from domain.records import DeclaredTotals, LineError, RecordKind
from parsers import xlsx_cells as cells
from parsers.base import CHUNK_ROWS, BadFile, Chunk, read_head
from parsers.container import sniff
from parsers.sheet_source import SheetKind, head_rows, sheet_kind, sheet_rows
from parsers.xlsx_chunk import build_chunk, filled, money
from parsers.xlsx_probe import first_rows
from parsers.xlsx_profile import Header, XlsxProfile, is_column_numbers
from parsers.xlsx_profile_load import load_profile

_SHOWN_CELLS = 12  # cells of the closest row quoted in a diagnosis


class XlsxRegisterParser:
    """``RegisterParser`` for spreadsheet registers laid out as an ``XlsxProfile`` says."""

    format = "xlsx"

    def __init__(self, profile: XlsxProfile, *, chunk_rows: int = CHUNK_ROWS) -> None:
        self.profile = profile
        self.name = f"xlsx:{profile.name}"
        self.chunk_rows = chunk_rows

    @classmethod
    def from_profile(cls, name_or_path: str | Path) -> XlsxRegisterParser:
        """The parser of a built-in profile (``parsers/dialects/<name>.yaml``) or of a YAML file."""
        return cls(load_profile(name_or_path))

    def identify(self, path: Path, head: bytes) -> bool:
        """A spreadsheet (by content) whose first rows contain this profile's header."""
        kind = sheet_kind(Path(path), head)
        if kind is None:
            return False
        limit = self.profile.scan_rows
        if kind is SheetKind.XLSX:  # the cheap probe: calamine would load the whole sheet
            rows = first_rows(Path(path), limit)
        else:
            try:
                rows = head_rows(Path(path), kind, limit)
            except BadFile:
                return False
        return rows is not None and self.profile.find_header(rows) is not None

    def explain(self, path: Path) -> str:
        """Why this profile does not read ``path``: what was looked for and the closest row found.

        Meant for the quarantine note of a file ``identify`` refused; "" when the header is there.
        """
        path = Path(path)
        kind = sheet_kind(path, read_head(path))
        if kind is None:
            return f"not a spreadsheet (XLSX, ODS, XLS): the file's content is {sniff(read_head(path))}"
        try:
            rows = head_rows(path, kind, self.profile.scan_rows)
        except BadFile as exc:
            return exc.reason
        if self._find(rows) is not None:
            return ""
        return self._diagnosis(rows)

    def parse(self, path: Path) -> Iterator[Chunk]:
        """Stream the register as chunks; the last carries the Итого totals. ``BadFile`` if unreadable."""
        path = Path(path)
        head = read_head(path)
        kind = sheet_kind(path, head)
        if kind is None:
            if head.startswith(b"PK\x03\x04"):
                raise BadFile(path, "not a readable XLSX workbook: the zip holds no spreadsheet")
            raise BadFile(path, f"not a spreadsheet (XLSX, ODS, XLS): the file's content is {sniff(head)}")
        rows = sheet_rows(path, kind, self.profile.zip_limits)
        first = list(islice(rows, self.profile.scan_rows))
        found = self._find(first)
        if found is None:
            raise BadFile(path, self._diagnosis(first))
        at, header = found
        money_cols = money_columns(first[at : at + header.rows])
        counts: Counter[str] = Counter()
        errors = [self._above(path, i + 1, row, header) for i, row in enumerate(first[:at])]
        for row, error in zip(first[:at], errors, strict=True):
            if error is None:
                counts[RecordKind.TITLE if any(map(filled, row)) else RecordKind.BLANK] += 1
        counts[RecordKind.HEADER] += header.rows
        body = enumerate(chain(first[at + header.rows :], rows), start=at + header.rows + 1)
        # The row loop creates millions of small lists; CPython's cyclic GC would rescan the growing
        # heap again and again (~20 % of the parse time). None of them form cycles: pause the GC
        # while this generator runs, and give it back at every yield and at the end.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            scan = self._scan(path, body, header, counts, [e for e in errors if e is not None], money_cols)
            for chunk in scan:
                if was_enabled:
                    gc.enable()
                yield chunk
                gc.disable()
        finally:
            if was_enabled:
                gc.enable()

    def _find(self, rows: Sequence[Sequence[object]]) -> tuple[int, Header] | None:
        return self.profile.find_header(rows)

    def _scan(
        self, path: Path, rows: Iterator[tuple[int, list[object]]], header: Header, counts: Counter[str],
        early: list[LineError], money_cols: frozenset[int] = frozenset(),
    ) -> Iterator[Chunk]:  # fmt: skip
        columns, kopecks, services = header.columns, header.kopecks, header.services
        date_col, amount_col = columns["paid_date"], columns["amount"]
        date_types, chunk_rows, is_total = cells.DATE_TYPES, self.chunk_rows, self.profile.is_total
        batch: list[tuple[int, list[object]]] = []
        pending: list[tuple[int, list[object]]] | None = None
        declared: DeclaredTotals | None = None
        late: list[LineError] = []
        blank = note = 0
        first = next(rows, None)
        if first is not None and is_column_numbers(first[1]):
            counts[RecordKind.COLUMN_NUMBERS] += 1
        elif first is not None:
            rows = chain([first], rows)
        for line_no, row in rows:
            # hot loop (one pass per row): a row with a real date cell is a payment row, no more checks
            if type(row[date_col]) not in date_types:
                if declared is not None:
                    if not cells.paid_date(row[date_col])[2] and filled(row[amount_col]):  # a text date
                        late.append(self._late(path, line_no, row, header))
                    elif any(map(filled, row)):
                        note += 1
                    else:
                        blank += 1
                    continue
                marker = is_total(row)
                if marker is not None:
                    declared = self._totals(path, line_no, row, marker, header, money_cols)
                    continue
                if not any(map(filled, row)):
                    blank += 1
                    continue
            elif declared is not None:
                late.append(self._late(path, line_no, row, header))
                continue
            batch.append((line_no, row))
            if len(batch) >= chunk_rows:
                if pending is not None:
                    yield build_chunk(str(path), pending, columns, kopecks, services)
                pending, batch = batch, []
        if declared is None and self.profile.require_totals:
            raise BadFile(path, "no Итого row: the register has no control totals (truncated?)")
        if pending is not None and batch:
            yield build_chunk(str(path), pending, columns, kopecks, services)
            pending = None
        counts.update({RecordKind.BLANK: blank, RecordKind.NOTE: note, RecordKind.TOTALS: int(declared is not None)})
        last = build_chunk(str(path), pending or batch, columns, kopecks, services)
        non_payments = {str(k): v for k, v in counts.items() if v}
        meta = {"profile": self.profile.name}
        yield Chunk(last.payments, tuple(early) + last.errors + tuple(late), declared, meta, non_payments)

    def _totals(
        self, path: Path, line_no: int, row: list[object], marker: str, header: Header, money_cols: frozenset[int]
    ) -> DeclaredTotals:
        columns = header.columns
        convert = money(header.kopecks, "amount")
        kop, ok, reasons = convert([row[columns["amount"]]], positive=False, name="Итого amount")
        if not ok[0]:
            raise BadFile(path, f"row {line_no}: the Итого row's amount is unreadable: {reasons[0]}")
        commission = None
        if "commission" in columns and filled(row[columns["commission"]]):
            convert = money(header.kopecks, "commission")
            ckop, cok, creasons = convert([row[columns["commission"]]], positive=False, name="Итого commission")
            if not cok[0]:
                raise BadFile(path, f"row {line_no}: the Итого row's commission is unreadable: {creasons[0]}")
            commission = int(ckop[0])
        count = _count(row, marker, columns, money_cols)
        return DeclaredTotals(count=count, amount=int(kop[0]), commission=commission)

    def _late(self, path: Path, line_no: int, row: list[object], header: Header) -> LineError:
        amount = _amount(row, header)
        return LineError(str(path), line_no, "payment row after the Итого row", _raw(row), amount)

    @staticmethod
    def _above(path: Path, line_no: int, row: list[object], header: Header) -> LineError | None:
        """A rejection for a row above the header that reads as a payment (a date and an amount)."""
        date_col = header.columns["paid_date"]
        if date_col >= len(row) or cells.paid_date(row[date_col])[0] is None:
            return None
        amount = _amount(row, header)
        if amount is None:
            return None
        return LineError(str(path), line_no, "payment row above the header row", _raw(row), amount)

    def _diagnosis(self, rows: Sequence[Sequence[object]]) -> str:
        """What was looked for in the first rows and the row that came closest."""
        profile = self.profile
        shown = rows[: profile.header_search_rows]
        wanted = ", ".join(profile.required)
        text = f"no header row with the columns {wanted} in rows 1–{len(shown)} of the first sheet"
        scored = [(len(profile.matches(r)), -i, i) for i, r in enumerate(shown) if any(map(filled, r))]
        if not scored:
            return f"no header row with the columns {wanted}: the first sheet is empty" + (
                f" in rows 1–{len(shown)}" if shown else ""
            )
        _, _, best = max(scored)
        matched = profile.matches(shown[best])
        texts = [" ".join(str(c).split()) if type(c) is str else cells.raw_text(c) for c in shown[best] if filled(c)]
        quoted = ", ".join(texts[:_SHOWN_CELLS]) + (", …" if len(texts) > _SHOWN_CELLS else "")
        text += f"; row {best + 1} has: {quoted}"
        for fld in profile.required:
            if fld not in matched:
                names = profile.names.get(fld, ())
                listed = ", ".join(names[:6]) + (", …" if len(names) > 6 else "")
                text += f"; {fld}: expected one of: {listed}"
        return text


def _amount(row: list[object], header: Header) -> int | None:
    """The row's amount in kopecks when readable in the header's amount column, else None."""
    col = header.columns["amount"]
    if col >= len(row):
        return None
    kop, ok, _ = money(header.kopecks, "amount")([row[col]], positive=True, name="amount")
    return int(kop[0]) if ok[0] else None


def _raw(row: list[object]) -> str:
    return ";".join(c if type(c) is str else cells.raw_text(c) for c in row)


# Words of a money column's header: a whole number under «Сумма к перечислению» is money, not a count.
_MONEY_WORDS = ("сумм", "руб", "коп", "комисс", "перечисл", "оплач", "вознагр", "удерж", "начисл")


def money_columns(header_rows: Sequence[Sequence[object]]) -> frozenset[int]:
    """Columns whose header names money (sum, rubles, kopecks, commission, transfer …), in any header row."""
    return frozenset(
        i for row in header_rows for i, cell in enumerate(row)
        if type(cell) is str and any(word in cell.lower() for word in _MONEY_WORDS)
    )  # fmt: skip


def _count(row: list[object], marker: str, columns: dict[str, int], money_cols: frozenset[int]) -> int | None:
    """The line count an Итого row declares, if any: "Итого: 3" or a whole number outside the money columns
    (the profile's amount and commission, and every column whose header names money)."""
    match = re.search(r"\d+", marker)
    if match is not None:
        return int(match.group())
    skip = {columns.get("amount"), columns.get("commission"), *money_cols}
    for index, cell in enumerate(row):
        if index in skip:
            continue
        if type(cell) is float and cell.is_integer() and cell >= 0:
            return int(cell)
        if type(cell) is str and cell.strip().isdigit():
            return int(cell.strip())
    return None
