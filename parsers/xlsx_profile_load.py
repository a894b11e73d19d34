"""Loading and validating spreadsheet profiles (``parsers.xlsx_profile``): every mistake is a ``ProfileError``
naming the file, the key and the line.

Checked: unknown keys and fields, types, an alias that is only a unit or given to two fields,
``required`` fields without a column, a profile naming no identifier column (ЛС, УИП, ЕЛС: its
rows could never find a payer), ``period_month`` without ``period_year``,
``header_rows`` outside 1–10, ``services`` patterns that are not regular expressions, and
``totals`` that is neither a mapping nor ``none``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from parsers.sheet_header import ServiceSpec, compile_pattern
from parsers.xlsx_profile import (
    DIALECTS,
    FIELDS,
    IDENTIFIERS,
    KEYS,
    ProfileError,
    XlsxProfile,
    fold,
    header_key,
    is_unit_only,
)
from parsers.yaml_load import safe_load
from parsers.zipguard import ZipLimits

MAX_HEADER_ROWS = 10


def load_profile(name_or_path: str | Path) -> XlsxProfile:
    """A built-in profile by name (``xlsx_portal``) or a YAML file by path; ``ProfileError`` if wrong."""
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = DIALECTS / f"{name_or_path}.yaml"
    return load(path)


def load(path: Path) -> XlsxProfile:
    """The profile in the YAML file ``path``; ``ProfileError`` if unreadable or wrong."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data = safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise ProfileError(path, "(file)", f"unreadable: {exc}") from exc
    return _build(path, data, node)


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
    _check_fields(path, node, columns)
    required = tuple(_strings(path, node, "required", data.get("required", ["paid_date", "amount"]), "required"))
    if not {"paid_date", "amount"} <= set(required) or not set(required) <= set(columns):
        raise ProfileError(path, "required", "must include paid_date and amount and name fields under columns",
                           _line(node, "required"))  # fmt: skip
    rows = data.get("header_search_rows", 30)
    if type(rows) is not int or rows < 1:
        raise ProfileError(path, "header_search_rows", f"expected a positive whole number, got {rows!r}",
                           _line(node, "header_search_rows"))  # fmt: skip
    header_rows = data.get("header_rows", "auto")
    if header_rows != "auto" and (type(header_rows) is not int or not 1 <= header_rows <= MAX_HEADER_ROWS):
        raise ProfileError(path, "header_rows", f"expected auto or a whole number 1–{MAX_HEADER_ROWS}, "
                           f"got {header_rows!r}", _line(node, "header_rows"))  # fmt: skip
    no_totals = data.get("totals") in ("none", None) and "totals" in data
    totals = {} if no_totals else _section(path, node, data, "totals", {"markers", "required"})
    zip_conf = _section(path, node, data, "zip", {"max_total_mb", "max_ratio"})
    markers = _strings(path, node, "totals.markers", totals.get("markers", ["Итого"]), "totals", "markers")
    markers = [] if no_totals else markers
    if not isinstance(totals.get("required", True), bool):
        raise ProfileError(path, "totals.required", "expected true or false", _line(node, "totals", "required"))
    try:
        limits = ZipLimits(max_total=int(zip_conf.get("max_total_mb", 1024)) << 20,
                           max_ratio=float(zip_conf.get("max_ratio", 200)))  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise ProfileError(path, "zip", f"expected numbers: {exc}", _line(node, "zip")) from exc
    return XlsxProfile(
        name=data["name"], aliases=aliases, required=required, names=names, header_search_rows=rows,
        total_markers=tuple(fold(m) for m in markers), require_totals=not no_totals and totals.get("required", True),
        zip_limits=limits, header_rows=0 if header_rows == "auto" else header_rows,
        services=_services(path, node, data.get("services")),
    )  # fmt: skip


CHANNEL_FIELDS = ("method", "qr")  # columns a channel may name itself (rkc.yaml), over its profile's


def with_columns(profile: XlsxProfile, extra: Mapping[str, Any], where: str = "channel") -> XlsxProfile:
    """``profile`` with the ``CHANNEL_FIELDS`` columns a channel names itself (``extra``: field -> header
    name or list of names), replacing the profile's own; ``ProfileError`` naming ``where`` when wrong."""
    if not extra:
        return profile
    aliases = {k: f for k, f in profile.aliases.items() if f not in extra}
    names = {f: n for f, n in profile.names.items() if f not in extra}
    for fld, raw in extra.items():
        if fld not in CHANNEL_FIELDS:
            raise ProfileError(where, fld, f"not a column a channel names; one of {', '.join(CHANNEL_FIELDS)}")
        names[fld] = tuple(_strings(Path(where), None, f"{fld}.field", raw))
        for alias in names[fld]:
            key = header_key(alias)[0]
            if is_unit_only(alias) or aliases.get(key, fld) != fld:
                raise ProfileError(where, f"{fld}.field", f"header name {alias!r} is a unit or another column's name")
            aliases[key] = fld
    return replace(profile, aliases=aliases, names=names)


def _check_fields(path: Path, node: yaml.Node | None, columns: Mapping[str, Any]) -> None:
    """Field combinations: an identifier column, and the two-column period as a pair."""
    if not any(f in columns for f in IDENTIFIERS):
        raise ProfileError(path, "columns", "names no identifier column (account_raw, uip or els): no row could "
                           "name its payer", _line(node, "columns"))  # fmt: skip
    pair = [f for f in ("period_month", "period_year") if f in columns]
    if len(pair) == 1:
        other = "period_year" if pair[0] == "period_month" else "period_month"
        raise ProfileError(path, f"columns.{pair[0]}", f"goes with columns.{other} (the period from two columns)",
                           _line(node, "columns", pair[0]))  # fmt: skip


def _services(path: Path, node: yaml.Node | None, raw: Any) -> ServiceSpec | None:
    """The ``services`` key: ``amount`` (and ``code``) patterns over a column's header path."""
    if raw is None:
        return None
    section = _section(path, node, {"services": raw}, "services", {"code", "amount"})
    patterns: dict[str, re.Pattern[str]] = {}
    for key in ("code", "amount"):
        value = section.get(key)
        if value is None:
            continue
        line = _line(node, "services", key)
        if not isinstance(value, str) or not value.strip():
            raise ProfileError(path, f"services.{key}", f"expected a regular expression as text, got {value!r}", line)
        try:
            patterns[key] = compile_pattern(value)
        except re.error as exc:
            raise ProfileError(path, f"services.{key}", f"not a regular expression: {exc}", line) from exc
    if "amount" not in patterns:
        raise ProfileError(path, "services.amount", "required: the pattern of a service amount column's header",
                           _line(node, "services"))  # fmt: skip
    return ServiceSpec(amount=patterns["amount"], code=patterns.get("code"))


def _section(path: Path, node: yaml.Node | None, data: Mapping[str, Any], key: str, known: set[str]) -> Mapping:
    section = data.get(key, {})
    if not isinstance(section, Mapping):
        raise ProfileError(path, key, "expected a mapping" + (" or none" if key == "totals" else ""), _line(node, key))
    for sub in section:
        if sub not in known:
            raise ProfileError(path, f"{key}.{sub}", f"unknown key (known: {', '.join(sorted(known))})",
                               _line(node, key, sub))  # fmt: skip
    return section
