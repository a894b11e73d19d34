"""Declarative description of a text register dialect, loaded from one YAML file per bank.

A dialect says how to read one bank's text register: encoding, separator, header or skipped
rows, where each payment field sits (a column position counted from 1, negative from the end,
a header column name, or a ``KEY:value`` field found anywhere in the line), the date, time and
period spellings, the amount spelling, the footer with the control totals, the multi-service
``service_code;amount`` pairs and the cheap ``identify`` rule. The format is documented for
accountants in ``docs/DIALECTS.md``; ``load_dialect`` refuses a wrong file with an error naming
the file and the key, so a typo never turns into a silently wrong parse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from parsers import dialect_shapes as shapes
from parsers.dialect_shapes import KeyProblem, Meters, Totals
from parsers.spellings import format_regex
from parsers.yaml_load import safe_load

# Payment fields a dialect may place. branch, cashier and transfer_amount are read and checked but
# only the raw line keeps them: the payment frame has no columns for them. ``method`` is how the payer
# paid as the register writes it (it may share its column with another field: Sber's cashier column
# tells a teller from a device and the online bank), ``qr`` a receipt's QR payload (domain/qr_lines.py).
FIELDS = (
    "operation_id", "date", "time", "branch", "cashier", "account", "payer", "address", "period",
    "amount", "transfer_amount", "commission", "uip", "els", "supplier_inn", "service_code", "payment_order",
    "method", "qr",
)  # fmt: skip
CHANNEL_FIELDS = ("method", "qr")  # fields a channel may place itself (rkc.yaml), over its dialect's
FOOTER_FIELDS = ("count", "amount", "transfer", "commission", "payment_order_number", "payment_order_date")
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp1251", "cp866")
TOP_KEYS = (
    "format", "name", "description", "encoding", "separator", "skip_lines", "header", "trailing_separator",
    "field_count", "fields", "date_formats", "time_formats", "period_formats", "amount", "footer",
    "services", "identify", "comment_prefix", "comment_lines", "totals", "quote", "meters", "group_by",
    "file_values",
)  # fmt: skip
MAX_SERVICES = 50  # service pairs on one line; more is not a register line


class DialectError(ValueError):
    """A dialect file that is wrong: names the file and the key."""

    def __init__(self, source: str | Path, key: str, problem: str) -> None:
        super().__init__(f"dialect {source}: {key}: {problem}")
        self.source, self.key, self.problem = str(source), key, problem


@dataclass(frozen=True)
class FieldRef:
    """Where a field sits: exactly one of a column (1-based, negative from the end), header names,
    or a ``KEY:`` prefix searched in the whole line; of a column, optionally only a part
    (``slice`` of characters, or the one group of ``regex``)."""

    column: int | None = None
    names: tuple[str, ...] = ()
    key: str | None = None
    slice: tuple[int, int] | None = None
    regex: str | None = None


@dataclass(frozen=True)
class Footer:
    """The control-totals line: starts with ``prefix``; ``fields`` are 1-based positions after it."""

    prefix: str
    fields: Mapping[str, int]
    required: bool = False


@dataclass(frozen=True)
class Services:
    """Multi-service lines: ``service_code;amount`` pairs from column ``after_column + 1`` up to the
    ``trailing_columns`` last columns."""

    after_column: int
    trailing_columns: int


@dataclass(frozen=True)
class Identify:
    """The cheap identification rule: regexes for the header line and for the first data line."""

    header: str | None = None
    first_line: str | None = None


@dataclass(frozen=True)
class Dialect:
    """A loaded, validated dialect (see the module docstring and docs/DIALECTS.md)."""

    name: str
    source: str
    description: str
    encoding: str
    separator: str
    skip_lines: int
    header: bool
    trailing_separator: bool
    field_count: int | None
    fields: Mapping[str, FieldRef]
    date_formats: tuple[str, ...]
    time_formats: tuple[str, ...]
    period_formats: tuple[str, ...]
    decimal: str  # ",", "." or "any"
    amount_unit: str  # "rubles" or "kopecks"
    footer: Footer | None
    services: Services | None
    identify: Identify
    comments: tuple[str, ...] = ()  # regexes of comment lines (``comment_prefix``, ``comment_lines``)
    totals: Totals | None = None  # totals lines anywhere (``#FILESUM 3450.00``, ``Итого``)
    no_totals: bool = False  # ``totals: none``: the bank declares no control totals at all
    quote: str | None = None  # fields may be quoted (CSV): ``"a;b"``, ``""`` inside
    field_min: int | None = None  # ``field_count: {min, max}``: a variable number of fields
    field_max: int | None = None
    meters: Meters | None = None
    group_by: tuple[str, ...] = ()  # one payment over several lines, one per service code
    file_values: Mapping[str, str] = field(default_factory=dict)  # field -> regex of the title line giving it
    sums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # money field -> its parts' keys in ``fields``

    @property
    def declares_totals(self) -> bool:
        """Whether the bank's files carry control totals (a footer or totals lines)."""
        return self.footer is not None or self.totals is not None

    def valid_width(self, n: int) -> bool:
        """Whether a data line with ``n`` fields has this dialect's shape."""
        if self.services is None:
            return self.field_min is None or self.field_min <= n <= (self.field_max or n)
        pairs = n - self.services.after_column - self.services.trailing_columns
        return 2 <= pairs <= 2 * MAX_SERVICES and pairs % 2 == 0

    def width_text(self) -> str:
        """The expected field count, for error messages."""
        if self.services is None:
            if self.field_min != self.field_max:
                return f"{self.field_min} to {self.field_max}"
            return str(self.field_count)
        s = self.services
        return f"{s.after_column} + 2 per service + {s.trailing_columns}"


def _fail(source: Path | str, key: str, problem: str) -> DialectError:
    return DialectError(source, key, problem)


def _get(raw: Mapping[str, Any], source: Path, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
    value = raw.get(key.rsplit(".", 1)[-1], default)
    if value is not default and (not isinstance(value, kind) or (isinstance(value, bool) and kind is int)):
        raise _fail(source, key, f"must be {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def known_keys(raw: Any, source: Path, where: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    """``raw`` if it is a mapping of ``allowed`` keys only (``where`` names it; "" the top); else
    ``DialectError`` naming the file and the key. Shared by the text dialects and DBF profiles."""
    if not isinstance(raw, Mapping):
        raise _fail(source, where or "(top)", "must be a mapping of keys to values")
    for key in raw:
        if key not in allowed:
            raise _fail(source, f"{where}.{key}" if where else str(key), f"unknown key; allowed: {', '.join(allowed)}")
    return raw


def _field(source: Path | str, key: str, value: Any, header: bool) -> FieldRef:
    if isinstance(value, Mapping) and "column" in value:
        try:
            column, cut, pattern = shapes.part(key, value)
        except KeyProblem as exc:
            raise _fail(source, exc.key, exc.problem) from None
        return FieldRef(column=column, slice=cut, regex=pattern)
    if isinstance(value, int) and not isinstance(value, bool):
        if value == 0:
            raise _fail(source, key, "columns are counted from 1 (negative: from the end)")
        return FieldRef(column=value)
    if isinstance(value, str | list):
        names = (value,) if isinstance(value, str) else tuple(value)
        if not header or not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise _fail(source, key, "a column name needs `header: true` and non-empty names")
        return FieldRef(names=tuple(n.strip().lower() for n in names))
    if isinstance(value, Mapping) and set(value) == {"key"} and isinstance(value["key"], str) and value["key"]:
        return FieldRef(key=value["key"])
    raise _fail(source, key, f"must be a column number, a header name or {{key: PREFIX}}, got {value!r}")


def spellings(source: Path, raw: Mapping[str, Any], key: str, kind: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """The date, time or period spellings under ``key`` (one or a list), each checked; ``DialectError`` if wrong."""
    value = raw.get(key, list(default))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise _fail(source, key, "must be a non-empty list of spellings")
    for spec in value:
        try:
            format_regex(kind, spec)
        except ValueError as exc:
            raise _fail(source, key, str(exc)) from None
    return tuple(value)


def _regex(source: Path, key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(source, key, "must be a regular expression in quotes")
    try:
        re.compile(value)
    except re.error as exc:
        raise _fail(source, key, f"not a valid regular expression: {exc}") from None
    return value


def _footer(source: Path, raw: Any) -> Footer | None:
    if raw is None:
        return None
    raw = known_keys(raw, source, "footer", ("prefix", "fields", "required"))
    prefix = _get(raw, source, "footer.prefix", str, None)
    if not prefix:
        raise _fail(source, "footer.prefix", "required: the text the footer line starts with")
    fields = known_keys(raw.get("fields", {}), source, "footer.fields", FOOTER_FIELDS)
    for key, pos in fields.items():
        if not isinstance(pos, int) or isinstance(pos, bool) or pos < 1:
            raise _fail(source, f"footer.fields.{key}", "must be a column number from 1")
    required = _get(raw, source, "footer.required", bool, False)
    return Footer(prefix, MappingProxyType(dict(fields)), required)


def _services(source: Path, raw: Any) -> Services | None:
    if raw is None:
        return None
    raw = known_keys(raw, source, "services", ("after_column", "trailing_columns"))
    after = _get(raw, source, "services.after_column", int, None)
    tail = _get(raw, source, "services.trailing_columns", int, 0)
    if after is None or after < 0 or tail < 0:
        raise _fail(source, "services.after_column", "required, a column number ≥ 0")
    return Services(after, tail)


def _shapes(d: Mapping[str, Any], fields: Mapping[str, FieldRef]) -> dict[str, Any]:
    """The newer keys (``parsers.dialect_shapes``) as ``Dialect`` arguments; ``KeyProblem`` when wrong."""
    totals, no_totals = shapes.totals(d.get("totals"))
    if "service_code" in fields and d.get("services") is not None:
        raise KeyProblem("fields.service_code", "one service a line does not go with `services` pairs")
    if no_totals and d.get("footer") is not None:
        raise KeyProblem("totals", "`none` contradicts the footer this dialect declares")
    return {
        "comments": shapes.comments(d), "totals": totals, "no_totals": no_totals, "quote": shapes.quote(d.get("quote")),
        "meters": shapes.meters(d.get("meters")), "group_by": shapes.group_by(d.get("group_by"), fields),
        "file_values": MappingProxyType(shapes.file_values(d.get("file_values"))),
    }  # fmt: skip


def with_fields(d: Dialect, extra: Mapping[str, Any], where: str = "channel") -> Dialect:
    """``d`` with the ``CHANNEL_FIELDS`` a channel places itself (``extra``: field -> a column number, a
    header name or ``{key: PREFIX}``, as under ``fields``), replacing the dialect's own; ``DialectError``
    naming ``where`` when one is wrong."""
    if not extra:
        return d
    fields = dict(d.fields)
    for key, value in extra.items():
        if key not in CHANNEL_FIELDS:
            raise _fail(where, key, f"not a field a channel places; one of {', '.join(CHANNEL_FIELDS)}")
        fields[key] = _field(where, f"{key}.field", value, d.header)
    whole = [f.column for k, f in fields.items() if k != "method" and f.column is not None and f.slice is None
             and f.regex is None]  # fmt: skip
    if len(set(whole)) != len(whole):
        raise _fail(where, "qr.field", "the column is another field's")
    return replace(d, fields=MappingProxyType(fields))


def is_text_dialect(path: Path) -> bool:
    """Whether a YAML file declares ``format: text`` (the dialects folder also holds XLSX profiles)."""
    try:
        raw = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, yaml.YAMLError):
        return False
    return isinstance(raw, Mapping) and raw.get("format") == "text"


def load_dialect(path: str | Path) -> Dialect:
    """Read and validate a dialect YAML file; ``DialectError`` names the file and the bad key."""
    source = Path(path)
    try:
        raw = safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, yaml.YAMLError) as exc:
        raise _fail(source, "(file)", f"cannot be read as YAML: {exc}") from None
    d = known_keys(raw, source, "", TOP_KEYS)
    if d.get("format", "text") != "text":
        raise _fail(source, "format", f"{d.get('format')!r} is not a text register dialect (format: text)")
    name = _get(d, source, "name", str, source.stem)
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise _fail(source, "name", "letters, digits, _ and - only")
    encoding = _get(d, source, "encoding", str, "auto").lower()
    if encoding not in ENCODINGS:
        raise _fail(source, "encoding", f"one of {', '.join(ENCODINGS)}")
    separator = _get(d, source, "separator", str, ";")
    if not separator or "\n" in separator or "\r" in separator:
        raise _fail(source, "separator", "must be a non-empty text without line breaks")
    header = _get(d, source, "header", bool, False)
    skip = _get(d, source, "skip_lines", int, 0)
    if skip < 0:
        raise _fail(source, "skip_lines", "must be positive")
    services = _services(source, d.get("services"))
    raw_fields = known_keys(d.get("fields"), source, "fields", FIELDS)
    fields: dict[str, FieldRef] = {}
    sums: dict[str, tuple[str, ...]] = {}
    try:
        for k, v in raw_fields.items():
            if isinstance(v, Mapping) and "sum" in v:  # parts under their own keys: placed like any field
                parts = {f"{k}.sum[{i}]": x for i, x in enumerate(shapes.sum_parts(f"fields.{k}", v))}
                fields.update({p: _field(source, f"fields.{p}", x, header) for p, x in parts.items()})
                sums[k] = tuple(parts)
            elif k != "period":
                fields[k] = _field(source, f"fields.{k}", v, header)
        width_min, width_max = shapes.field_count(d.get("field_count"))
        extra = _shapes(d, fields)
        period = raw_fields.get("period")
        if isinstance(period, Mapping) and {"month", "year"} & set(period):
            month, year = shapes.period_columns(period)
            fields["period_month"] = _field(source, "fields.period.month", month, header)
            fields["period_year"] = _field(source, "fields.period.year", year, header)
        elif period is not None:
            fields["period"] = _field(source, "fields.period", period, header)
        shapes.check_layout(d, fields, services, set(sums) | set(extra["file_values"]))
    except KeyProblem as exc:
        raise _fail(source, exc.key, exc.problem) from None
    width = width_min if width_min == width_max else None
    amount = known_keys(d.get("amount", {}), source, "amount", ("decimal", "unit"))
    decimal = str(amount.get("decimal", "any"))
    unit = str(amount.get("unit", "rubles"))
    if decimal not in (",", ".", "any") or unit not in ("rubles", "kopecks"):
        raise _fail(source, "amount", 'decimal is ",", "." or any; unit is rubles or kopecks')
    ident = known_keys(d.get("identify", {}), source, "identify", ("header", "first_line"))
    identify = Identify(_regex(source, "identify.header", ident.get("header")),
                        _regex(source, "identify.first_line", ident.get("first_line")))  # fmt: skip
    if identify.first_line is None and identify.header is None:
        raise _fail(source, "identify", "needs first_line or header: identification must stay conservative")
    return Dialect(
        name=name, source=str(source), description=str(d.get("description", "")).strip(), encoding=encoding,
        separator=separator, skip_lines=skip, header=header,
        trailing_separator=_get(d, source, "trailing_separator", bool, False), field_count=width,
        fields=MappingProxyType(fields),
        date_formats=spellings(source, d, "date_formats", "date", ("dd.mm.yyyy",)),
        time_formats=spellings(source, d, "time_formats", "time", ("hh:mm:ss",)),
        period_formats=spellings(source, d, "period_formats", "period", ("mmyy",)),
        decimal=decimal, amount_unit=unit, footer=_footer(source, d.get("footer")), services=services,
        identify=identify, field_min=width_min, field_max=width_max, sums=MappingProxyType(sums), **extra,
    )  # fmt: skip
