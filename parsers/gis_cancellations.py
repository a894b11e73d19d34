"""ГИС ЖКХ's cancellations of payment notifications: ``importNotificationsOfOrderExecutionCancellationRequest``
(payment service, version 10.0.1.1; docs/GIS.md, "Cancellations").

Each ``NotificationOfOrderExecutionCancellation`` names the notification it annuls by ``OrderID``
(the payment's operation id), with ``CancellationDate``, an optional ``Comment`` and its
``TransportGUID``; the children are in the payments-base namespace. Transcribed only: which
payment it cancels, and what is done about it, is the use case's question (``rkc.gis_cancel``).
Read safely (no entities, no DTD, no network); with a schema directory the file is validated
against the official declaration first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lxml import etree

from parsers.base import BadFile
from parsers.gis_xsd import ENTRY, NS_BASE, NS_PAYMENT, load_schema, safe_xml_parser

ROOT = "importNotificationsOfOrderExecutionCancellationRequest"
ITEM = "NotificationOfOrderExecutionCancellation"
NS_PAYMENTS_BASE = "http://dom.gosuslugi.ru/schema/integration/payments-base/"
_ROOT_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?" + ROOT.encode() + rb"[\s>/]")


@dataclass(frozen=True)
class Cancellation:
    """One annulled notification, as the file says it."""

    order_id: str
    cancelled_on: date
    comment: str
    transport_guid: str


def is_cancellation(head: bytes) -> bool:
    """Whether a file's first bytes are a cancellation request (whatever the prefix)."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and _ROOT_RE.search(head) is not None


def read_cancellations(path: Path, xsd_dir: Path | None = None) -> tuple[Cancellation, ...]:
    """Every cancellation of the file, in file order; ``BadFile`` when it is not a cancellation
    request of the payment service, an item lacks its OrderID or date, or (with ``xsd_dir``) the
    file is not valid against the schema."""
    try:
        tree = etree.parse(str(path), safe_xml_parser())
    except (etree.XMLSyntaxError, OSError) as exc:
        raise BadFile(path, f"not readable XML: {exc}") from exc
    root = tree.getroot()
    if root.tag != f"{{{NS_PAYMENT}}}{ROOT}":
        raise BadFile(path, f"expected {ROOT} of the payment service, got {root.tag}")
    if xsd_dir is not None:
        schema = load_schema(xsd_dir, ENTRY)
        if not schema.validate(tree):
            raise BadFile(path, f"not valid against the ГИС ЖКХ schema: {schema.error_log[0].message}")
    found = []
    for n, item in enumerate(root.iter(f"{{{NS_PAYMENT}}}{ITEM}"), 1):
        order_id = _text(item, NS_PAYMENTS_BASE, "OrderID")
        day = _text(item, NS_PAYMENTS_BASE, "CancellationDate")
        if not order_id or not day:
            raise BadFile(path, f"cancellation {n}: OrderID and CancellationDate are required")
        try:
            cancelled_on = date.fromisoformat(day[:10])
        except ValueError as exc:
            raise BadFile(path, f"cancellation {n}: CancellationDate {day!r} is not a date") from exc
        found.append(Cancellation(order_id, cancelled_on, _text(item, NS_PAYMENTS_BASE, "Comment") or "",
                                  _text(item, NS_BASE, "TransportGUID") or ""))  # fmt: skip
    if not found:
        raise BadFile(path, f"no {ITEM} in the file")
    return tuple(found)


def _text(node: etree._Element, namespace: str, name: str) -> str | None:
    child = node.find(f"{{{namespace}}}{name}")
    return child.text.strip() if child is not None and child.text else None
