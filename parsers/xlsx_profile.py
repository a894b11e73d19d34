"""Spreadsheet register profiles (``parsers/dialects/<name>.yaml`` with ``format: xlsx``) and header matching.

A profile names, per payment field, the header texts a bank writes over its column. Header cells and
aliases are compared after ``header_key``: lower case, ё→е, every run of whitespace (NBSP, line
breaks inside a cell) and punctuation folded to one space, and a trailing unit (``, руб.``,
``(руб.)``, ``руб``, ``в рублях``, ``коп.``) taken off and kept as the column's unit, so that
``Сумма, руб.`` finds the alias ``Сумма`` and ``Сумма, коп.`` says its amounts are in kopecks.

A header may span two rows (``Сумма`` over ``руб.``, a group header over its sub-headers): a cell is
then read as the two texts joined, else the lower text, else the upper one. Rows of the file are
classified by patterns: the header row(s), a row of column numbers (``1, 2, 3 …``) under it, the
Итого row (its first text cell starts with a marker).

Profile files are validated: an unknown key, a wrong type, an unknown field, an alias that is only a
unit or punctuation (``[Сумма, руб.]`` in YAML flow style is two aliases, ``Сумма`` and ``руб.``) or
one alias given to two fields is a ``ProfileError`` naming the file, the key and the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from parsers import xlsx_cells as cells
from parsers.zipguard import ZipLimits

DIALECTS = Path(__file__).resolve().parent / "dialects"
FIELDS = ("paid_date", "paid_time", "operation_id", "uip", "els", "account_raw", "payer", "address",
          "period", "amount", "commission")  # fmt: skip
MONEY_FIELDS = ("amount", "commission")
KEYS = frozenset({"format", "name", "description", "header_search_rows", "required", "columns", "totals", "zip"})
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
    """The header found: field -> column, the money fields given in kopecks, and how many rows it spans."""

    columns: dict[str, int]
    kopecks: frozenset[str] = frozenset()
    rows: int = 1


@dataclass(frozen=True)
class XlsxProfile:
    """How one channel lays out its spreadsheet register (loaded from YAML)."""

    name: str
    aliases: dict[str, str]  # header key -> field
    required: tuple[str, ...]
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> aliases as written
    header_search_rows: int = 30
    total_markers: tuple[str, ...] = ("итого",)
    require_totals: bool = True
    zip_limits: ZipLimits = field(default_factory=ZipLimits)

    @classmethod
    def load(cls, name_or_path: str | Path) -> XlsxProfile:
        """A built-in profile by name (``xlsx_portal``) or a YAML file by path; ``ProfileError`` if wrong."""
        path = Path(name_or_path)
        if path.suffix not in (".yaml", ".yml"):
            path = DIALECTS / f"{name_or_path}.yaml"
        try:
            node = yaml.compose(path.read_text(encoding="utf-8"))
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ProfileError(path, "(file)", f"unreadable: {exc}") from exc
        return _build(path, data, node)

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
        """``(index in rows, header)`` of the first header starting in the first ``header_search_rows``
        of ``rows``; a two-row header is preferred when the row under a header is text only and adds
        fields or units to it, or holds nothing but units."""
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


def _line(node: yaml.Node | None, *path: str | int) -> int | None:
    """The 1-based line of ``path`` inside a composed YAML document, when it can be found."""
    for step in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return None
    return node.start_mark.line + 1 if node is not None else None


def _strings(path: Path, node: yaml.Node | None, key: str, value: Any, *where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ProfileError(path, key, f"expected a list of texts, got {value!r}", _line(node, *where))
    return value


def _build(path: Path, data: Any, node: yaml.Node | None) -> XlsxProfile:
    if not isinstance(data, Mapping):
        raise ProfileError(path, "(file)", "expected a mapping of keys")
    for key in data:
        if key not in KEYS:
            raise ProfileError(path, str(key), f"unknown key (known: {', '.join(sorted(KEYS))})", _line(node, key))
    if data.get("format", "xlsx") != "xlsx":
        raise ProfileError(path, "format", f"expected xlsx, got {data['format']!r}", _line(node, "format"))
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise ProfileError(path, "name", "missing or not a text", _line(node, "name"))
    columns = data.get("columns")
    if not isinstance(columns, Mapping) or not columns:
        raise ProfileError(path, "columns", "expected a mapping of field -> header names", _line(node, "columns"))
    aliases: dict[str, str] = {}
    names: dict[str, tuple[str, ...]] = {}
    for fld, raw in columns.items():
        if fld not in FIELDS:
            raise ProfileError(path, f"columns.{fld}", f"unknown field (known: {', '.join(FIELDS)})",
                               _line(node, "columns", fld))  # fmt: skip
        names[fld] = tuple(_strings(path, node, f"columns.{fld}", raw, "columns", fld))
        for i, alias in enumerate(names[fld]):
            key = header_key(alias)[0]
            line = _line(node, "columns", fld, i) or _line(node, "columns", fld)
            if is_unit_only(alias):
                problem = (
                    f"alias {alias!r} is only a unit or punctuation, a fragment of a header name: in YAML "
                    "flow style [Сумма, руб.] is two aliases; write the name alone (units are ignored) "
                    "or quote it: ['Сумма, руб.']"
                )
                raise ProfileError(path, f"columns.{fld}", problem, line)
            if aliases.get(key, fld) != fld:
                raise ProfileError(path, f"columns.{fld}", f"alias {alias!r} is also an alias of {aliases[key]}", line)
            aliases[key] = fld
    required = tuple(_strings(path, node, "required", data.get("required", ["paid_date", "amount"]), "required"))
    if not {"paid_date", "amount"} <= set(required) or not set(required) <= set(columns):
        raise ProfileError(path, "required", "must include paid_date and amount and name fields under columns",
                           _line(node, "required"))  # fmt: skip
    rows = data.get("header_search_rows", 30)
    if type(rows) is not int or rows < 1:
        raise ProfileError(path, "header_search_rows", f"expected a positive whole number, got {rows!r}",
                           _line(node, "header_search_rows"))  # fmt: skip
    totals = _section(path, node, data, "totals", {"markers", "required"})
    zip_conf = _section(path, node, data, "zip", {"max_total_mb", "max_ratio"})
    markers = _strings(path, node, "totals.markers", totals.get("markers", ["Итого"]), "totals", "markers")
    if not isinstance(totals.get("required", True), bool):
        raise ProfileError(path, "totals.required", "expected true or false", _line(node, "totals", "required"))
    try:
        limits = ZipLimits(max_total=int(zip_conf.get("max_total_mb", 1024)) << 20,
                           max_ratio=float(zip_conf.get("max_ratio", 200)))  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise ProfileError(path, "zip", f"expected numbers: {exc}", _line(node, "zip")) from exc
    return XlsxProfile(
        name=data["name"], aliases=aliases, required=required, names=names, header_search_rows=rows,
        total_markers=tuple(fold(m) for m in markers), require_totals=totals.get("required", True), zip_limits=limits,
    )  # fmt: skip


def _section(path: Path, node: yaml.Node | None, data: Mapping[str, Any], key: str, known: set[str]) -> Mapping:
    section = data.get(key, {})
    if not isinstance(section, Mapping):
        raise ProfileError(path, key, "expected a mapping", _line(node, key))
    for sub in section:
        if sub not in known:
            raise ProfileError(path, f"{key}.{sub}", f"unknown key (known: {', '.join(sorted(known))})",
                               _line(node, key, sub))  # fmt: skip
    return section
