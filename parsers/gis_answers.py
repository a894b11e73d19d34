"""ГИС ЖКХ's answers to the center's requests, as saved from the ГИС ЖКХ client (docs/GIS.md).

An answer is a ``getStateResult`` (payment or bills namespace, ``base:BaseAsyncResponseType``):
``RequestState``, ``MessageGUID``, then either one ``base:ErrorMessage`` for the whole message or
one ``ImportResult`` (``base:CommonResultType``) per item — its ``TransportGUID``, the ``GUID``
ГИС ЖКХ gave the object and ``UniqueNumber``/``UpdateDate`` on success, or ``Error`` elements
(``ErrorCode``, ``Description``). Transcribed only: which item an answer belongs to is the use
case's question. Read safely (no entities, no DTD, no network); with a schema directory the file
is validated against the official declaration first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from parsers.base import BadFile
from parsers.gis_xsd import NS_BASE, NS_PAYMENT, load_schema, safe_xml_parser

NS_BILLS = "http://dom.gosuslugi.ru/schema/integration/bills/"
SCHEMAS = {NS_PAYMENT: Path("payment") / "hcs-payment-types.xsd", NS_BILLS: Path("bills") / "hcs-bills-types.xsd"}
ROOT = "getStateResult"


@dataclass(frozen=True)
class ItemAnswer:
    """ГИС ЖКХ's answer about one item: success with its GUID, or the errors."""

    transport_guid: str
    gis_guid: str | None
    errors: tuple[tuple[str, str], ...]  # (ErrorCode, Description)

    @property
    def accepted(self) -> bool:
        """Whether ГИС ЖКХ took the item."""
        return not self.errors


@dataclass(frozen=True)
class AnswerFile:
    """A whole answer: its message GUID and state, a message-wide error, and the item answers."""

    message_guid: str
    request_state: str
    message_error: tuple[str, str] | None
    items: tuple[ItemAnswer, ...]


def _text(node: etree._Element, name: str) -> str | None:
    found = node.find(f"{{{NS_BASE}}}{name}")
    if found is None:  # ImportResult's children are in the request's own namespace in some answers
        found = next((c for c in node if etree.QName(c).localname == name), None)
    return found.text.strip() if found is not None and found.text else None


def _error(node: etree._Element) -> tuple[str, str]:
    return (_text(node, "ErrorCode") or "", _text(node, "Description") or "")


def read_answers(path: Path, xsd_dir: Path | None = None) -> AnswerFile:
    """Read an answer file; ``BadFile`` when it is not a ``getStateResult`` of the payment or
    bills service, or (with ``xsd_dir``) not valid against its schema."""
    try:
        tree = etree.parse(str(path), safe_xml_parser())
    except (etree.XMLSyntaxError, OSError) as exc:
        raise BadFile(path, f"not a readable XML answer: {exc}") from exc
    root = tree.getroot()
    name = etree.QName(root)
    if name.localname != ROOT or name.namespace not in SCHEMAS:
        raise BadFile(path, f"expected getStateResult of the payment or bills service, got {root.tag}")
    if xsd_dir is not None:
        schema = load_schema(xsd_dir, SCHEMAS[name.namespace])
        if not schema.validate(tree):
            raise BadFile(path, f"not valid against the ГИС ЖКХ schema: {schema.error_log[0].message}")
    message = root.find(f"{{{NS_BASE}}}ErrorMessage")
    items = []
    for result in root:
        if etree.QName(result).localname != "ImportResult":
            continue
        errors = tuple(_error(e) for e in result if etree.QName(e).localname == "Error")
        items.append(ItemAnswer(_text(result, "TransportGUID") or "", _text(result, "GUID"), errors))
    return AnswerFile(
        message_guid=_text(root, "MessageGUID") or "",
        request_state=_text(root, "RequestState") or "",
        message_error=_error(message) if message is not None else None,
        items=tuple(items),
    )
