"""Spreadsheet register profiles (``parsers/dialects/<name>.yaml`` with ``format: xlsx``) and header matching.

A profile names, per payment field, the header texts a bank writes over its column. Header cells and
aliases are compared after ``header_key``: lower case, ё→е, every run of whitespace (NBSP, line
breaks inside a cell) and punctuation folded to one space, and a trailing unit (``, руб.``,
``(руб.)``, ``руб``, ``в рублях``, ``коп.``) taken off and kept as the column's unit, so that
``Сумма, руб.`` finds the alias ``Сумма`` and ``Сумма, коп.`` says its amounts are in kopecks.

A header may span two rows (``Сумма`` over ``руб.``, a group header over its sub-headers): a cell is
then read as the two texts joined, else the lower text, else the upper one. With ``header_rows: N``
the header is N rows (a template's group rows over sub-headers), each column named by its path of
texts (``parsers.sheet_header``); ``services`` finds the bank's split by service in it. Rows of the file are
classified by patterns: the header row(s), a row of column numbers (``1, 2, 3 …``) under it, the
Итого row (its first text cell starts with a marker).

Profile files are validated (``parsers.xlsx_profile_load``): an unknown key, a wrong type, an unknown
field, an alias that is only a unit or punctuation (``[Сумма, руб.]`` in YAML flow style is two
aliases, ``Сумма`` and ``руб.``) or one alias given to two fields is a ``ProfileError`` naming the
file, the key and the line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from parsers import xlsx_cells as cells
from parsers.sheet_header import ServiceColumn, ServiceSpec, candidates, column_paths, service_columns
from parsers.zipguard import ZipLimits

DIALECTS = Path(__file__).resolve().parent / "dialects"
FIELDS = ("paid_date", "paid_time", "operation_id", "uip", "els", "account_raw", "payer", "address",
          "period", "period_month", "period_year", "amount", "commission", "purpose", "method", "qr")  # fmt: skip
MONEY_FIELDS = ("amount", "commission")
IDENTIFIERS = ("account_raw", "uip", "els", "qr")  # a payment row needs one of them (a QR payload names its ЛС)
KEYS = frozenset({"format", "name", "description", "header_search_rows", "header_rows", "required", "columns",
                  "services", "totals", "zip"})  # fmt: skip
_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w№%]+")  # everything but letters, digits, № and % separates words
_NUMERIC = re.compile(r"^[\d\s.,+\-]+$")  # a number or amount written as text
_RUBLES = frozenset({"руб", "рублей", "рублях", "рубли", "рубль", "р", "rub", "rur"})
_KOPECKS = frozenset({"коп", "копеек", "копейках", "копейки"})


class ProfileError(ValueError):
    """A profile file that is wrong: names the file, the key and (when known) the line."""

    def __init__(self, source: str | Path, key: str, problem: str, line: int | None = None) -> None:
        where = f"{source}" + (f" line {line}" if line is not None else "")
        super().__init__(f"xlsx profile {where}: {key}: {problem}")
        self.source, self.key, self.problem, self.line = str(source), key, problem, line


def fold(text: object) -> str:
    """Lower case, ё→е, single spaces, no trailing ``:``/``.`` (markers such as "Итого:")."""
    return _SPACES.sub(" ", str(text)).strip().lower().replace("ё", "е").rstrip(":. ")


def header_key(text: object) -> tuple[str, str | None]:
    """``(key, unit)`` of a header text: words without punctuation, the trailing unit taken off.

    ``unit`` is ``"kop"`` when the header says kopecks (and not rubles too), ``"rub"`` for rubles,
    None when it names none. A text that is only a unit keeps it as its key (it names no field).
    """
    words = _PUNCT.sub(" ", str(text).lower().replace("ё", "е")).split()
    units: set[str] = set()
    while len(words) > 1 and (words[-1] in _RUBLES or words[-1] in _KOPECKS):
        units.add("kop" if words.pop() in _KOPECKS else "rub")
        if len(words) > 1 and words[-1] == "в":  # "в рублях"
            words.pop()
    unit = "rub" if "rub" in units else ("kop" if units else None)
    return " ".join(words), unit


def is_unit_only(text: str) -> bool:
    """Whether a header text names only a unit or nothing (``руб.``, ``(коп.)``, ``-``)."""
    words = _PUNCT.sub(" ", text.lower()).split()
    return all(w in _RUBLES or w in _KOPECKS or w == "в" for w in words)


@dataclass(frozen=True)
class Header:
    """The header found: field -> column, the money fields given in kopecks, how many rows it spans,
    and the columns of the bank's split by service."""

    columns: dict[str, int]
    kopecks: frozenset[str] = frozenset()
    rows: int = 1
    services: tuple[ServiceColumn, ...] = ()


@dataclass(frozen=True)
class XlsxProfile:
    """How one channel lays out its spreadsheet register (loaded from YAML)."""

    name: str
    aliases: dict[str, str]  # header key -> field
    required: tuple[str, ...]
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> aliases as written
    header_search_rows: int = 30
    total_markers: tuple[str, ...] = ("итого",)  # () with ``totals: none``: the template has no Итого row
    require_totals: bool = True
    zip_limits: ZipLimits = field(default_factory=ZipLimits)
    header_rows: int = 0  # 0: one row, or two when the second adds to the first; N: exactly N rows
    services: ServiceSpec | None = None

    @property
    def scan_rows(self) -> int:
        """How many first rows the header search needs: a header starting in the last searched row, whole."""
        return self.header_search_rows + max(self.header_rows, 1)

    def header(self, row: Sequence[object]) -> Header | None:
        """The header if ``row`` alone names every required field, else None."""
        return self._match([[c] for c in row], 1)

    def header2(self, top: Sequence[object], bottom: Sequence[object]) -> Header | None:
        """The header read from two rows (merged header cells), if it names every required field."""
        width = max(len(top), len(bottom))
        top = [*top, *[""] * (width - len(top))]
        bottom = [*bottom, *[""] * (width - len(bottom))]
        pairs = [
            [f"{t} {b}", b, t] if _text(t) and _text(b) else [b if _text(b) else t]
            for t, b in zip(top, bottom, strict=True)
        ]
        return self._match(pairs, 2)

    def _match(self, candidates: list[list[object]], rows: int) -> Header | None:
        found: dict[str, int] = {}
        kopecks: set[str] = set()
        for index, texts in enumerate(candidates):
            for text in texts:
                if not _text(text):
                    continue
                key, unit = header_key(text)
                fld = self.aliases.get(key)
                if fld is None:
                    continue
                if fld not in found:
                    found[fld] = index
                    if unit == "kop" and fld in MONEY_FIELDS:
                        kopecks.add(fld)
                break
        if not all(r in found for r in self.required):
            return None
        return Header(found, frozenset(kopecks), rows)

    def find_header(self, rows: Sequence[Sequence[object]]) -> tuple[int, Header] | None:
        """``(index in rows, header)`` of the header starting in the first ``header_search_rows`` of
        ``rows``: ``header_rows`` rows when the profile says so, else the first one- or two-row header.
        With ``services`` the header carries the service columns found in it."""
        found = self._find_rows(rows) if self.header_rows else self._find_auto(rows)
        if found is None or self.services is None:
            return found
        at, header = found
        paths = column_paths(rows[at : at + header.rows])
        kopecks = [bool(p) and header_key(" ".join(p))[1] == "kop" for p in paths]
        taken = set(header.columns.values())
        return at, replace(header, services=service_columns(self.services, paths, taken, kopecks))

    def _find_rows(self, rows: Sequence[Sequence[object]]) -> tuple[int, Header] | None:
        """The ``header_rows``-row header that names the most fields; rows under its first are text only.

        Among equals, the one followed by a row that is not text (data, column numbers) wins, so a
        title row above a header is not taken for its first row; then the earliest.
        """
        n = self.header_rows
        best: tuple[tuple[int, bool], int, Header] | None = None
        for i in range(min(self.header_search_rows, len(rows) - n + 1)):
            window = rows[i : i + n]
            if not all(is_text_row(r) or _blank(r) for r in window[1:]):
                continue
            header = self._match([candidates(p) for p in column_paths(window)], n)
            if header is None:
                continue
            score = (len(header.columns), i + n >= len(rows) or not is_text_row(rows[i + n]))
            if best is None or score > best[0]:
                best = (score, i, header)
        return None if best is None else (best[1], best[2])

    def _find_auto(self, rows: Sequence[Sequence[object]]) -> tuple[int, Header] | None:
        """The first header: one row, or two when the row under it is text only and adds fields or units
        to it, or holds nothing but units."""
        for i, row in enumerate(rows[: self.header_search_rows]):
            one = self.header(row)
            # a second header row: text only, and not a header by itself (else a title above it would join it)
            if i + 1 < len(rows) and is_text_row(rows[i + 1]) and (one is not None or self.header(rows[i + 1]) is None):
                two = self.header2(row, rows[i + 1])
                units = all(is_unit_only(c) for c in rows[i + 1] if type(c) is str)  # "руб." under "Сумма"
                if two is not None and (
                    one is None or len(two.columns) > len(one.columns) or two.kopecks != one.kopecks or units
                ):
                    return i, two
            if one is not None:
                return i, one
        return None

    def matches(self, row: Sequence[object]) -> dict[str, str]:
        """Field -> the cell text that names it, for every aliased cell of ``row`` (diagnostics)."""
        found: dict[str, str] = {}
        for cell in row:
            if _text(cell):
                fld = self.aliases.get(header_key(cell)[0])
                if fld is not None and fld not in found:
                    found[fld] = str(cell)
        return found

    def is_total(self, row: Sequence[object]) -> str | None:
        """The marker cell's text when ``row`` is the Итого row, else None."""
        for cell in row:
            if type(cell) is str and cell:
                text = fold(cell)
                for marker in self.total_markers:
                    if text.startswith(marker) and not text[len(marker) : len(marker) + 1].isalpha():
                        return text
        return None


def _blank(row: Sequence[object]) -> bool:
    return all(c is None or (type(c) is str and not c.strip()) for c in row)


def _text(cell: object) -> bool:
    return type(cell) is str and bool(cell.strip())


def is_text_row(row: Sequence[object]) -> bool:
    """A row of text only, none of it a number, date or amount: a possible second header row."""
    filled = [c for c in row if not (c is None or (type(c) is str and not c.strip()))]
    if not filled or not all(type(c) is str for c in filled):
        return False
    return not any(cells.paid_date(c)[0] or _NUMERIC.match(c) for c in filled)


def is_column_numbers(row: Sequence[object]) -> bool:
    """A row numbering the columns: its filled cells are the whole numbers 1, 2, 3 … in order."""
    numbers: list[int] = []
    for cell in row:
        if cell is None or (type(cell) is str and not cell.strip()):
            continue
        if type(cell) is float and cell.is_integer():
            numbers.append(int(cell))
        elif type(cell) is int or (type(cell) is str and cell.strip().isdigit()):
            numbers.append(int(cell))
        else:
            return False
    return len(numbers) >= 2 and numbers == list(range(1, len(numbers) + 1))
