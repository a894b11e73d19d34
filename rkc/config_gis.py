"""The ``gis_export`` section of ``rkc.yaml``: what квитирование needs that the data does not say.

``services`` maps each of the center's service names (the charges' ``service``) to its type in ГИС
ЖКХ's directories, as ``PaymentDocumentAck`` names it: an element (HSType, MSType, ASType — a GUID;
PServiceType, TMSType — an НСИ code and GUID). ``order_orgs`` maps a ГИС ЖКХ channel to the
orgPPAGUID of the organisation whose notifications it carries, so that its payments can be
acknowledged by OrderID. Both come from the center's ГИС ЖКХ account; none is invented here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from domain.gis_exchange import NSI_TYPES, SERVICE_TYPES, ServiceType

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NSI_CODE = re.compile(r"(A?\d{1,4}\.?)+")


@dataclass(frozen=True)
class GisExport:
    """The ``gis_export`` settings: service types and the ГИС channels' notifying organisations."""

    services: dict[str, ServiceType] = field(default_factory=dict)
    order_orgs: dict[str, str] = field(default_factory=dict)


def parse_gis_export(data: Any, source: str, channels: set[str], error: type[Exception]) -> GisExport:
    """Read ``gis_export`` (may be absent); ``error`` is raised naming the key of any mistake."""
    if data is None:
        return GisExport()
    if not isinstance(data, dict):
        raise error(f"{source}: gis_export must be a mapping")
    services = {}
    for name, spec in (data.get("services") or {}).items():
        where = f"{source}: gis_export.services.{name}"
        if not isinstance(spec, dict):
            raise error(f"{where} must be a mapping with type and guid")
        kind, guid, code = str(spec.get("type", "")), str(spec.get("guid", "")), str(spec.get("code", "") or "")
        if kind not in SERVICE_TYPES:
            raise error(f"{where}.type must be one of {', '.join(SERVICE_TYPES)}, got {kind!r}")
        if not _GUID.fullmatch(guid):
            raise error(f"{where}.guid must be a GUID, got {guid!r}")
        if kind in NSI_TYPES and not (len(code) <= 20 and _NSI_CODE.fullmatch(code)):
            raise error(f"{where}.code must be the НСИ code of the {kind} entry, got {code!r}")
        services[str(name)] = ServiceType(kind, guid, code if kind in NSI_TYPES else "")
    orgs = {}
    for channel, guid in (data.get("order_orgs") or {}).items():
        if channel not in channels:
            raise error(f"{source}: gis_export.order_orgs.{channel} names no channel")
        if not _GUID.fullmatch(str(guid)):
            raise error(f"{source}: gis_export.order_orgs.{channel} must be a GUID, got {guid!r}")
        orgs[str(channel)] = str(guid)
    return GisExport(services, orgs)
