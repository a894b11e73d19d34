"""Declarative description of a DBF register profile, loaded from one YAML file per bank.

A DBF register is a dBase table: one payment a record, fields named by the bank (``LS``,
``FIO``, ``SUMMA``, ``DATA`` …). A profile says which DBF field holds each payment field (one
name or a list of alternatives, the first present in the file wins), the encoding (or ``auto``),
the spellings of dates kept in text fields, the amount unit, the totals record (a record
recognised by a marker in one field, "ИТОГО") and the identify rule (DBF field names that must
all be present). ``load_profile`` refuses a wrong file with a ``DialectError`` naming the file
and the key. The format is documented for accountants in ``docs/DIALECTS.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from parsers.dialect import DialectError, known_keys, spellings
from parsers.yaml_load import safe_load

DIALECTS = Path(__file__).resolve().parent / "dialects"
FIELDS = ("operation_id", "date", "time", "account", "uip", "els", "payer", "address", "period", "amount",
          "commission", "method", "qr")  # fmt: skip
CHANNEL_FIELDS = ("method", "qr")  # fields a channel may name itself (rkc.yaml), over its profile's
ENCODINGS = ("auto", "cp866", "cp1251", "utf-8", "ascii")
TOP_KEYS = ("format", "name", "description", "encoding", "fields", "required", "date_formats", "time_formats",
            "period_formats", "amount", "totals", "identify")  # fmt: skip
TOTALS_KEYS = ("field", "markers", "required", "count", "amount", "commission")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,10}")  # a dBase field name: at most 11 characters


@dataclass(frozen=True)
class Totals:
    """The totals record: ``field`` (DBF names) starts with one of ``markers``; its amounts and
    count are read from the named DBF fields."""

    field: tuple[str, ...]
    markers: tuple[str, ...]  # normalised (``normalise_marker``)
    required: bool
    count: tuple[str, ...] = ()
    amount: tuple[str, ...] = ()
    commission: tuple[str, ...] = ()


@dataclass(frozen=True)
class DbfProfile:
    """A loaded, validated DBF profile (see the module docstring and docs/DIALECTS.md)."""

    name: str
    source: str
    description: str
    encoding: str
    fields: Mapping[str, tuple[str, ...]]  # payment field -> DBF field names, upper case, in order
    required: tuple[str, ...]
    date_formats: tuple[str, ...]
    time_formats: tuple[str, ...]
    period_formats: tuple[str, ...]
    amount_unit: str  # "rubles" or "kopecks"
    decimal: str  # ",", "." or "any"
    totals: Totals | None
    identify: tuple[tuple[str, ...], ...]  # each entry: alternatives, one of which must be present


def normalise_marker(text: str) -> str:
    """A marker as compared: lower case, ё→е, single spaces, no trailing ``:``/``.``."""
    return " ".join(text.replace("\u00a0", " ").split()).lower().replace("ё", "е").rstrip(":. ")


def _names(source: Path, key: str, value: Any) -> tuple[str, ...]:
    """One DBF field name or a non-empty list of them, upper case (dBase names are case-blind)."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise DialectError(source, key, f"must be a DBF field name or a list of names, got {value!r}")
    for name in names:
        if not _NAME.fullmatch(name.strip()):
            raise DialectError(source, key, f"{name!r} is not a DBF field name (letters, digits, _; ≤ 11)")
    return tuple(n.strip().upper() for n in names)


def _totals(source: Path, raw: Any, fields: Mapping[str, tuple[str, ...]]) -> Totals | None:
    if raw is None:
        return None
    t = known_keys(raw, source, "totals", TOTALS_KEYS)
    if "field" not in t:
        raise DialectError(source, "totals.field", "required: the DBF field that holds the marker")
    markers = t.get("markers", ["Итого"])
    markers = [markers] if isinstance(markers, str) else markers
    if not isinstance(markers, list) or not markers or not all(isinstance(m, str) and m.strip() for m in markers):
        raise DialectError(source, "totals.markers", "must be a non-empty list of texts")
    required = t.get("required", False)
    if not isinstance(required, bool):
        raise DialectError(source, "totals.required", f"must be true or false, got {required!r}")
    opt = {k: _names(source, f"totals.{k}", t[k]) if k in t else () for k in ("count", "amount", "commission")}
    return Totals(
        field=_names(source, "totals.field", t["field"]), markers=tuple(normalise_marker(m) for m in markers),
        required=required, count=opt["count"], amount=opt["amount"] or fields["amount"],
        commission=opt["commission"] or fields.get("commission", ()),
    )  # fmt: skip


def with_fields(profile: DbfProfile, extra: Mapping[str, Any], where: str = "channel") -> DbfProfile:
    """``profile`` with the ``CHANNEL_FIELDS`` a channel names itself (``extra``: field -> DBF field name
    or list of names), replacing the profile's own; ``DialectError`` naming ``where`` when wrong."""
    if not extra:
        return profile
    fields = dict(profile.fields)
    for key, value in extra.items():
        if key not in CHANNEL_FIELDS:
            raise DialectError(where, key, f"not a field a channel names; one of {', '.join(CHANNEL_FIELDS)}")
        fields[key] = _names(Path(where), f"{key}.field", value)
    return replace(profile, fields=MappingProxyType(fields))


def _read(source: Path) -> Mapping[str, Any]:
    try:
        raw = safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, yaml.YAMLError) as exc:
        raise DialectError(source, "(file)", f"cannot be read as YAML: {exc}") from None
    return known_keys(raw, source, "", TOP_KEYS)


def load_profile(name_or_path: str | Path) -> DbfProfile:
    """A built-in profile by name (``dbf_sber_branch``) or a YAML file by path, validated.

    ``DialectError`` names the file and the key of the first mistake.
    """
    source = Path(name_or_path)
    if source.suffix not in (".yaml", ".yml"):
        source = DIALECTS / f"{name_or_path}.yaml"
    d = _read(source)
    if d.get("format") != "dbf":
        raise DialectError(source, "format", f"{d.get('format')!r} is not a DBF profile (format: dbf)")
    name = d.get("name", source.stem)
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
        raise DialectError(source, "name", "letters, digits, _ and - only")
    encoding = str(d.get("encoding", "auto")).lower()
    if encoding not in ENCODINGS:
        raise DialectError(source, "encoding", f"one of {', '.join(ENCODINGS)}, got {d.get('encoding')!r}")
    raw_fields = known_keys(d.get("fields"), source, "fields", FIELDS)
    fields = {k: _names(source, f"fields.{k}", v) for k, v in raw_fields.items()}
    required = d.get("required", ["date", "amount", "account"])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise DialectError(source, "required", "must be a list of payment fields")
    for r in ("date", "amount"):
        if r not in required:
            raise DialectError(source, "required", f"must include {r}")
    for r in required:
        if r not in fields:
            raise DialectError(source, "required", f"{r!r} has no DBF field under `fields`")
    if not {"account", "uip", "els", "qr"} & set(fields):
        raise DialectError(source, "fields", "needs at least one of account, uip, els, qr to identify the payment")
    amount = known_keys(d.get("amount", {}), source, "amount", ("unit", "decimal"))
    unit, decimal = str(amount.get("unit", "rubles")), str(amount.get("decimal", "any"))
    if unit not in ("rubles", "kopecks"):
        raise DialectError(source, "amount.unit", f"rubles or kopecks, got {unit!r}")
    if decimal not in (",", ".", "any"):
        raise DialectError(source, "amount.decimal", f'",", "." or any, got {decimal!r}')
    ident = known_keys(d.get("identify", {}), source, "identify", ("fields",))
    if not ident.get("fields"):
        raise DialectError(source, "identify.fields", "required: DBF field names every register of this bank has")
    if not isinstance(ident["fields"], list):
        raise DialectError(source, "identify.fields", "must be a list (an entry may be a list of alternatives)")
    identify = tuple(_names(source, f"identify.fields[{i}]", v) for i, v in enumerate(ident["fields"]))
    description = d.get("description", "")
    return DbfProfile(
        name=name, source=str(source), description=str(description).strip(), encoding=encoding,
        fields=MappingProxyType(fields), required=tuple(required),
        date_formats=spellings(source, d, "date_formats", "date", ("dd.mm.yyyy",)),
        time_formats=spellings(source, d, "time_formats", "time", ("hh:mm:ss",)),
        period_formats=spellings(source, d, "period_formats", "period", ("mmyy", "mmyyyy")),
        amount_unit=unit, decimal=decimal, totals=_totals(source, d.get("totals"), fields), identify=identify,
    )  # fmt: skip
