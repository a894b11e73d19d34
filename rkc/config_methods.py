"""``channels.<name>.method`` and ``channels.<name>.qr`` of rkc.yaml: where a channel's registers write how
the payer paid and a receipt's QR payload, and how the written values read as methods (domain/methods.py).

```yaml
method:
  default: bank_app            # a line that names no method (absent: gis for gis_xml, else bank_app)
  field: {key: "method_pay:"}  # where the method is: a column number, a header name or {key: PREFIX}
  values: {касса: cashier, "Сбербанк Онлайн": bank_app}   # raw value (any case) -> method
  patterns: {'^\\d{8}$': terminal}                         # regular expression -> method, in order
qr:
  field: {key: "QRCODE:"}      # where a receipt's QR payload is (docs/DIALECTS.md «qr»)
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.methods import MethodMap, PaymentMethod
from rkc.config_error import ConfigError

METHOD_KEYS = ("default", "field", "values", "patterns")
QR_KEYS = ("field",)


@dataclass(frozen=True)
class MethodConfig:
    """A channel's reading of payment methods, and where its registers place the method and a QR
    payload when the channel names them itself (``fields``: ``method``/``qr`` -> placement)."""

    map: MethodMap
    fields: Mapping[str, Any] = field(default_factory=dict)


def default_method(fmt: str) -> PaymentMethod:
    """The method of a channel that configures none: ГИС ЖКХ notifications are ``gis``, payers' own п/п
    read from the bank statement (the ``direct`` channel's format ``statement``) ``direct_transfer``,
    the rest ``bank_app``."""
    return {"gis_xml": PaymentMethod.GIS, "statement": PaymentMethod.DIRECT_TRANSFER}.get(fmt, PaymentMethod.BANK_APP)


def _method(value: object, where: str) -> PaymentMethod:
    try:
        return PaymentMethod(str(value))
    except ValueError:
        known = ", ".join(m.value for m in PaymentMethod)
        raise ConfigError(f"{where}: {value!r} is not a payment method; one of {known}") from None


def _placement(value: object, where: str) -> object:
    """A field placement as the channel's format reads it: checked for form here, in full when the
    channel's parser is built (``rkc.config_channels``)."""
    ok = (
        (isinstance(value, int) and not isinstance(value, bool) and value != 0)
        or (isinstance(value, str) and value.strip())
        or (isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value))
        or (isinstance(value, Mapping) and set(value) == {"key"} and isinstance(value["key"], str) and value["key"])
    )
    if not ok:
        raise ConfigError(f"{where} must be a column number, a header name (or a list of names), a DBF field "
                          f"name or {{key: PREFIX}}, got {value!r}")  # fmt: skip
    return value


def _mapping(spec: object, where: str) -> Mapping[str, Any]:
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where} must be a mapping, got {spec!r}")
    return spec


def parse_methods(method: object, qr: object, fmt: str, where: str) -> MethodConfig:
    """``method`` and ``qr`` of one channel (``where`` names it in errors); ``ConfigError`` when wrong."""
    spec = _mapping(method or {}, f"{where}.method")
    unknown = set(spec) - set(METHOD_KEYS)
    if unknown:
        raise ConfigError(f"{where}.method: unknown keys {', '.join(sorted(map(str, unknown)))}; "
                          f"known: {', '.join(METHOD_KEYS)}")  # fmt: skip
    default = _method(spec["default"], f"{where}.method.default") if spec.get("default") else default_method(fmt)
    values: dict[str, PaymentMethod] = {}
    for raw, target in _mapping(spec.get("values") or {}, f"{where}.method.values").items():
        if not isinstance(raw, str) or not raw.strip():
            raise ConfigError(f"{where}.method.values: {raw!r} must be quoted text, e.g. \"{raw}\": {target}")
        values[raw] = _method(target, f"{where}.method.values.{raw}")
    patterns = []
    for pattern, target in _mapping(spec.get("patterns") or {}, f"{where}.method.patterns").items():
        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise ConfigError(f"{where}.method.patterns: {pattern!r} is not a regular expression: {exc}") from exc
        patterns.append((str(pattern), _method(target, f"{where}.method.patterns.{pattern}")))
    fields: dict[str, Any] = {}
    if spec.get("field") is not None:
        fields["method"] = _placement(spec["field"], f"{where}.method.field")
    qr_spec = _mapping(qr or {}, f"{where}.qr")
    if set(qr_spec) - set(QR_KEYS):
        raise ConfigError(f"{where}.qr: unknown keys {', '.join(sorted(map(str, set(qr_spec) - set(QR_KEYS))))}; "
                          "known: field")  # fmt: skip
    if qr_spec.get("field") is not None:
        fields["qr"] = _placement(qr_spec["field"], f"{where}.qr.field")
    if fields and fmt == "gis_xml":
        raise ConfigError(f"{where}: a ГИС ЖКХ channel has no columns to name (method.field, qr.field)")
    return MethodConfig(MethodMap(default, values, tuple(patterns)), fields)
