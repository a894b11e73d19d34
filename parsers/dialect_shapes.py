"""The newer dialect keys of text registers: comments, totals lines, quoting, variable widths,
meter readings, values from part of a field, two-column periods, multi-line payments, values given
once per file on a title line (``file_values``) and money fields summed from several columns.

``parsers.dialect`` loads a YAML file and hands each of these keys to a function here; a wrong
value raises ``KeyProblem(key, problem)``, which the loader turns into a ``DialectError`` naming
the file (this module cannot import the loader: it is imported by it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

TOTALS_GROUPS = ("count", "amount", "transfer", "commission")
# Fields a payment can be grouped by (``group_by``): the payment's own identifying fields.
GROUP_FIELDS = ("operation_id", "account", "uip", "els", "payer", "payment_order", "date")
# Fields a register may give once for the whole file, on a title line (``file_values``).
FILE_VALUE_FIELDS = ("date", "time", "period", "supplier_inn", "payment_order", "branch", "cashier")
SUM_FIELDS = ("amount", "transfer_amount", "commission")  # money fields that may be a sum of columns


class KeyProblem(ValueError):
    """A wrong value of one dialect key (``key`` is dotted: ``totals.lines``)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key, self.problem = key, problem


@dataclass(frozen=True)
class Totals:
    """Control totals on lines anywhere in the file: regexes whose named groups are totals."""

    lines: tuple[str, ...]
    required: bool = False


@dataclass(frozen=True)
class Meters:
    """Meter readings as numbered ``KEY:value`` fields: ``CounterId_1:…;CounterVal_1:…``."""

    value_key: str
    id_key: str | None = None


def _regex(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise KeyProblem(key, "must be a regular expression in quotes")
    try:
        re.compile(value)
        pc.match_substring_regex(pa.array([""]), value)  # the parser matches lines with RE2 (pyarrow)
    except (re.error, pa.ArrowInvalid) as exc:
        raise KeyProblem(key, f"not a valid regular expression: {exc}") from None
    return value


def _strings(key: str, value: Any) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise KeyProblem(key, "must be a non-empty text or a list of them")
    return tuple(values)


def comments(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """Regexes of comment lines: ``comment_prefix`` (texts a line starts with, after spaces) and
    ``comment_lines`` (regexes)."""
    out: list[str] = []
    if raw.get("comment_prefix") is not None:
        out += [r"^\s*" + re.escape(p) for p in _strings("comment_prefix", raw["comment_prefix"])]
    if raw.get("comment_lines") is not None:
        out += [_regex("comment_lines", r) for r in _strings("comment_lines", raw["comment_lines"])]
    return tuple(out)


def totals(value: Any) -> tuple[Totals | None, bool]:
    """``totals:`` as (the totals lines or None, whether the dialect says it has no totals at all)."""
    if value is None:
        return None, False
    if value == "none":
        return None, True
    if not isinstance(value, Mapping):
        raise KeyProblem("totals", "`none` or a mapping with `lines` (and `required`)")
    for key in value:
        if key not in ("lines", "required"):
            raise KeyProblem(f"totals.{key}", "unknown key; allowed: lines, required")
    lines = _strings("totals.lines", value.get("lines"))
    for i, pattern in enumerate(lines):
        groups = set(re.compile(_regex(f"totals.lines[{i}]", pattern)).groupindex)
        if not groups or not groups <= set(TOTALS_GROUPS):
            raise KeyProblem(f"totals.lines[{i}]", f"needs named groups among {', '.join(TOTALS_GROUPS)}")
    required = value.get("required", False)
    if not isinstance(required, bool):
        raise KeyProblem("totals.required", "must be true or false")
    return Totals(lines, required), False


def field_count(value: Any) -> tuple[int | None, int | None]:
    """``field_count`` as (least, most) fields: a number is both; ``{min: 10, max: 40}`` a range."""
    if value is None:
        return None, None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise KeyProblem("field_count", "must be positive")
        return value, value
    if isinstance(value, Mapping) and value and set(value) <= {"min", "max"}:
        low, high = value.get("min", 1), value.get("max", 10_000)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) or not 1 <= low <= high:
            raise KeyProblem("field_count", "min and max are numbers with 1 ≤ min ≤ max")
        return low, high
    raise KeyProblem("field_count", f"a number or {{min: N, max: M}}, got {value!r}")


def quote(value: Any) -> str | None:
    """``quote``: the one character that encloses fields holding the separator (``""`` escapes it)."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 1 or value in "\r\n":
        raise KeyProblem("quote", "one character, e.g. '\"'")
    return value


def meters(value: Any) -> Meters | None:
    """``meters: {value_key: CounterVal_, id_key: CounterId_}`` (``id_key`` optional)."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not set(value) <= {"value_key", "id_key"}:
        raise KeyProblem("meters", "a mapping with value_key (and id_key)")
    keys = []
    for key in ("value_key", "id_key"):
        text = value.get(key)
        if text is not None and (not isinstance(text, str) or not text.strip() or ":" in text):
            raise KeyProblem(f"meters.{key}", "the text before the reading's number, e.g. CounterVal_")
        keys.append(text)
    if keys[0] is None:
        raise KeyProblem("meters.value_key", "required")
    return Meters(keys[0], keys[1])


def group_by(value: Any, fields: Mapping[str, Any]) -> tuple[str, ...]:
    """``group_by``: the fields whose equal values make lines one payment (a name or a list)."""
    if value is None:
        return ()
    names = _strings("group_by", value)
    for name in names:
        if name not in GROUP_FIELDS:
            raise KeyProblem("group_by", f"{name!r} is not one of {', '.join(GROUP_FIELDS)}")
        if name not in fields:
            raise KeyProblem("group_by", f"{name!r} is not placed under fields")
    if "service_code" not in fields:
        raise KeyProblem("fields.service_code", "required with group_by: each line is one service of the payment")
    return names


def part(key: str, value: Mapping[str, Any]) -> tuple[int, tuple[int, int] | None, str | None]:
    """A field taken from part of a column: ``{column: 5, slice: [0, 6]}`` or ``{column: 5, regex: '^(\\d{6})'}``."""
    if not set(value) <= {"column", "slice", "regex"} or "column" not in value:
        raise KeyProblem(key, "{column: N} with slice: [start, end] or regex: '(...)'")
    column = value["column"]
    if not isinstance(column, int) or isinstance(column, bool) or column == 0:
        raise KeyProblem(f"{key}.column", "columns are counted from 1 (negative: from the end)")
    cut = value.get("slice")
    if cut is not None and not (
        isinstance(cut, list) and len(cut) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in cut)
        and 0 <= cut[0] < cut[1]
    ):  # fmt: skip
        raise KeyProblem(f"{key}.slice", "[start, end], characters counted from 0, start < end")
    pattern = value.get("regex")
    if pattern is not None and re.compile(_regex(f"{key}.regex", pattern)).groups != 1:
        raise KeyProblem(f"{key}.regex", "needs exactly one group: the part to take")
    if (cut is None) == (pattern is None):
        raise KeyProblem(key, "exactly one of slice or regex")
    return column, (tuple(cut) if cut else None), pattern


def period_columns(value: Mapping[str, Any]) -> tuple[Any, Any]:
    """``period: {month: 7, year: 8}`` (or header names, ``{month: [Месяц], year: [Год]}``): the
    period from two columns; each place is checked by the loader like any field's."""
    if set(value) != {"month", "year"}:
        raise KeyProblem("fields.period", "{month: N, year: M} (columns or header names) for a period in two columns")
    return value["month"], value["year"]


def file_values(value: Any) -> dict[str, str]:
    """``file_values: {date: {line: '^Дата платежей:\\s*(?P<v>\\S+)'}}``: fields given once for the
    whole file on a title line; field -> the line's regex (its group ``v``, or its one group, is the value)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not value:
        raise KeyProblem("file_values", "a mapping of fields to {line: REGEX}")
    out = {}
    for name, spec in value.items():
        key = f"file_values.{name}"
        if name not in FILE_VALUE_FIELDS:
            raise KeyProblem(key, f"not a field given once per file; one of {', '.join(FILE_VALUE_FIELDS)}")
        if not isinstance(spec, Mapping) or set(spec) != {"line"}:
            raise KeyProblem(key, "{line: REGEX}: the regular expression of the line that holds the value")
        pattern = _regex(f"{key}.line", spec["line"])
        compiled = re.compile(pattern)
        if "v" not in compiled.groupindex and compiled.groups != 1:
            raise KeyProblem(f"{key}.line", "needs a group named v, or exactly one group: the value")
        out[str(name)] = pattern
    return out


def file_value(pattern: str, line: str) -> str | None:
    """The value a ``file_values`` regex captures on ``line`` (None: no match or an empty value)."""
    found = re.search(pattern, line)
    if found is None:
        return None
    text = found.group("v") if "v" in found.re.groupindex else found.group(1)
    return text.strip() if text and text.strip() else None


def sum_parts(key: str, value: Mapping[str, Any]) -> list[Any]:
    """``commission: {sum: [7, 8]}`` (or header names): the places of a money field summed in kopecks."""
    name = key.removeprefix("fields.")
    if set(value) != {"sum"}:
        raise KeyProblem(key, "{sum: [place, place, ...]}: columns or header names whose amounts add up")
    if name not in SUM_FIELDS:
        raise KeyProblem(key, f"only money fields are sums: {', '.join(SUM_FIELDS)}")
    parts = value["sum"]
    if not isinstance(parts, list) or len(parts) < 2:
        raise KeyProblem(f"{key}.sum", "a list of at least two columns or header names")
    return parts


def check_layout(d: Mapping[str, Any], fields: Mapping[str, Any], services: Any, elsewhere: set[str]) -> None:
    """The placed fields are enough and fit the line; ``elsewhere``: fields given as sums or file values."""
    if "date" not in fields and "date" not in elsewhere:
        raise KeyProblem("fields.date", "required (a column, or `file_values` for one date per file)")
    if "amount" not in fields and "amount" not in elsewhere and services is None:
        raise KeyProblem("fields.amount", "required (or `services` pairs to sum)")
    if not {"account", "uip", "els", "qr"} & set(fields):
        raise KeyProblem("fields", "needs at least one of account, uip, els, qr to identify the payment")
    # Whole columns are one field each; parts of a column (slice, regex) may share it, and so may the
    # method, which banks write into another field's column (Sber's cashier column).
    whole = [f.column for k, f in fields.items()
             if k != "method" and f.column is not None and f.slice is None and f.regex is None]  # fmt: skip
    if len(set(whole)) != len(whole):
        raise KeyProblem("fields", "two fields share one column")
    columns = [(k, f.column) for k, f in fields.items() if f.column is not None]
    width = d.get("field_count")
    if isinstance(width, Mapping):
        width = width.get("max")
    for key, col in columns:
        if services is not None:
            if col > services.after_column or -col > services.trailing_columns:
                raise KeyProblem(f"fields.{key}", "falls among the service pairs (use negative numbers after them)")
        elif width is not None and abs(col) > width:
            where = f"fields.{key.replace('period_', 'period.')}"
            raise KeyProblem(where, f"column {col} beyond field_count {width}")
    if services is None and width is None and not d.get("header"):
        raise KeyProblem("field_count", "required without a header row or services")
