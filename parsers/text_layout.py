"""Where the fields of a text register's lines are, and how a line splits into fields.

``Layout`` is the dialect's placement resolved for one file (a header row may name the columns);
``split`` cuts lines into fields column-wise, or, for dialects with a ``quote`` character, with
Python's CSV reader (the quoted path is slower and only taken by dialects that declare quoting).
``payment_like`` tells which lines would read as payments: a line skipped as header that does is
rejected, never dropped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from domain.money import parse_or_none, register_spelling
from parsers.base import BadFile
from parsers.dialect import CHANNEL_FIELDS, MAX_SERVICES, Dialect


@dataclass(frozen=True)
class Layout:
    """Where the fields are in this file: 1-based columns (negative from the end) and KEY prefixes."""

    dialect: Dialect
    columns: Mapping[str, int]
    keys: Mapping[str, str]
    width: int | None  # fixed field count; None for multi-service lines and variable widths

    @classmethod
    def fixed(cls, d: Dialect) -> Layout:
        """The layout of a dialect without a header row."""
        columns = {k: f.column for k, f in d.fields.items() if f.column is not None}
        keys = {k: f.key for k, f in d.fields.items() if f.key is not None}
        return cls(d, columns, keys, d.field_count if d.services is None else None)

    def valid(self, n: np.ndarray) -> np.ndarray:
        """Per line, whether ``n`` fields is this layout's shape."""
        d = self.dialect
        s = d.services
        if s is None:
            if self.width is not None:
                return n == self.width
            if d.field_min is None:
                return np.ones(len(n), dtype=bool)
            return (n >= d.field_min) & (n <= (d.field_max or d.field_min))
        pairs = n - s.after_column - s.trailing_columns
        return (pairs >= 2) & (pairs <= 2 * MAX_SERVICES) & (pairs % 2 == 0)

    def line_fits(self, line: str) -> bool:
        """Whether one line has a valid field count (with the optional trailing separator)."""
        sep = self.dialect.separator
        n = np.array([len(_quoted([line], sep, self.dialect.quote)[0]) if self.dialect.quote else line.count(sep) + 1])
        if self.valid(n)[0]:
            return True
        return bool(self.dialect.trailing_separator and line.endswith(sep) and self.valid(n - 1)[0])

    def width_text(self) -> str:
        """The expected field count, for error messages."""
        return self.dialect.width_text() if self.width is None else str(self.width)


def resolve_header(d: Dialect, line: str, file: str, line_no: int | None = None) -> Layout:
    """The layout named by a header row; ``BadFile`` when a named column is missing (the method and
    the QR payload, ``CHANNEL_FIELDS``, may be: such a file has none)."""
    cells = _quoted([line], d.separator, d.quote)[0] if d.quote else line.split(d.separator)
    names = [n.strip().lower() for n in cells]
    if d.trailing_separator and len(names) > 1 and names[-1] == "":
        names.pop()
    columns: dict[str, int] = {}
    for key, ref in d.fields.items():
        if ref.column is not None:
            columns[key] = ref.column
        elif ref.names:
            at = next((names.index(a) for a in ref.names if a in names), None)
            if at is None and key in CHANNEL_FIELDS:
                continue  # a method or QR column is not in every file of a bank: absent, the field is empty
            if at is None:
                where = f"header row (line {line_no})" if line_no else "header row"
                raise BadFile(file, f"{where} lacks the column {ref.names[0]!r} ({key})")
            columns[key] = at + 1
    keys = {k: f.key for k, f in d.fields.items() if f.key is not None}
    width = d.field_count if d.field_count else (None if d.field_min is not None else len(names))
    return Layout(d, columns, keys, width)


def mask(values: pa.Array) -> np.ndarray:
    """A boolean pyarrow array as numpy, null as False."""
    return pc.fill_null(values, False).to_numpy(zero_copy_only=False)


def quoted_cells(line: str, sep: str, quote: str) -> list[str]:
    """The CSV fields of one line (for diagnostics and the header row)."""
    return _quoted([line], sep, quote)[0] or [""]


def _quoted(lines: list[str], sep: str, quote: str) -> list[list[str]]:
    """CSV fields of each line (a quoted field may hold the separator; a doubled quote is one).

    Exactly one row per line: a quote left open ends at the end of its line. (One ``csv.reader``
    over all the lines would carry an open quote into the next line and shift every row after it.)
    """
    if len(sep) == 1:
        reader = partial(csv.reader, delimiter=sep, quotechar=quote, doublequote=True, strict=False)
        # csv refuses a CR or LF in an unquoted field: such a line goes through the plain splitter
        return [next(reader((line,)), []) if "\r" not in line and "\n" not in line else _split_quoted(line, sep, quote)
                for line in lines]  # fmt: skip
    return [_split_quoted(line, sep, quote) for line in lines]


def _split_quoted(line: str, sep: str, quote: str) -> list[str]:
    """The fields of one line, separators inside quotes kept (any separator length; csv takes one)."""
    parts, field, inside, i = [], [], False, 0
    while i < len(line):
        if line.startswith(quote, i):
            if inside and line.startswith(quote, i + 1):
                field.append(quote)
                i += 2
                continue
            inside, i = not inside, i + 1
        elif not inside and line.startswith(sep, i):
            parts.append("".join(field))
            field, i = [], i + len(sep)
        else:
            field.append(line[i])
            i += 1
    return [*parts, "".join(field)]


def split(layout: Layout, lines: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Lines split into fields, the field count per line (a trailing separator not counted where
    that makes the count valid) and whether the trailing separator was dropped."""
    d = layout.dialect
    sep = d.separator
    if d.quote:
        rows = _quoted([x or "" for x in lines.to_pylist()], sep, d.quote)
        lists = pa.array([r or [""] for r in rows], pa.list_(pa.string()))
    else:
        lists = pc.split_pattern(lines, sep)
    n = pc.list_value_length(lists).to_numpy().astype(np.int64)
    cut = np.zeros(len(n), dtype=bool)
    if d.trailing_separator:
        cut = mask(pc.ends_with(lines, sep)) & ~layout.valid(n) & layout.valid(n - 1)
        n = n - cut
    return lists, n, cut


def field_at(layout: Layout, key: str, line: str, fields: list[str]) -> str:
    """One field of one line as its layout places it ("" when absent): a column or a ``KEY:``."""
    if key in layout.keys:  # KEY:value anywhere in the line
        sep = re.escape(layout.dialect.separator)
        found = re.search(rf"(?i)(?:^|{sep})\s*{re.escape(layout.keys[key])}([^{sep}]*)", line)
        return found.group(1).strip() if found else ""
    col = layout.columns.get(key)
    if col is None or col == 0 or abs(col) > len(fields):
        return ""
    return (fields[col - 1] if col > 0 else fields[col]).strip()


def amount_at(layout: Layout, line: str, fields: list[str]) -> int | None:
    """The amount of one line in kopecks, read at its configured place; None when unreadable."""
    d = layout.dialect
    total = 0
    for key in d.sums.get("amount", ("amount",)):  # an amount summed from columns: every part must read
        text = field_at(layout, key, line, fields)
        if not text:
            return None  # multi-service lines without a total column: the pairs are not taken apart here
        kop = parse_or_none(text, register_spelling(d.decimal, d.amount_unit))
        if kop is None:
            return None
        total += kop
    return total


def payment_like(layout: Layout, lines: pa.Array) -> tuple[np.ndarray, list[int | None]]:
    """Per line: whether it reads as a payment (its shape fits, its amount reads and it names an
    account, УИП or ЕЛС), and its amount in kopecks when readable."""
    lists, n, _ = split(layout, lines)
    fits = layout.valid(n)
    like = np.zeros(len(lines), dtype=bool)
    amounts: list[int | None] = [None] * len(lines)
    for i in np.flatnonzero(fits):
        line, fields = lines[int(i)].as_py(), lists[int(i)].as_py()[: int(n[i])]
        amounts[int(i)] = kop = amount_at(layout, line, fields)
        like[i] = kop is not None and any(field_at(layout, k, line, fields) for k in ("account", "uip", "els"))
    return like, amounts
