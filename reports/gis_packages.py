"""Outbound ГИС ЖКХ requests rendered from stored items (XSD 14.4.0.1, docs/GIS.md).

``importSupplierNotificationsOfOrderExecutionRequest`` (payment/hcs-payment-types.xsd) carries the
center's notifications of payments taken by other channels; ``importAcknowledgmentRequest``
(bills/hcs-bills-types.xsd) either AcknowledgmentRequestInfo (квитирование of one ПД service line)
or AckCancellation items — the XSD makes them a choice, so each has requests of its own. The
bytes depend only on the items handed in, in their order: the same items give the same file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from lxml import etree

from domain.gis_exchange import NSI_TYPES, ItemKind

NS = {
    "base": "http://dom.gosuslugi.ru/schema/integration/base/",
    "pm": "http://dom.gosuslugi.ru/schema/integration/payment/",
    "bills": "http://dom.gosuslugi.ru/schema/integration/bills/",
    "bb": "http://dom.gosuslugi.ru/schema/integration/bills-base/",
    "pb": "http://dom.gosuslugi.ru/schema/integration/payments-base/",
    "ab": "http://dom.gosuslugi.ru/schema/integration/account-base/",
    "nsi": "http://dom.gosuslugi.ru/schema/integration/nsi-base/",
}
# kind -> (namespace prefix of the request, request element, item element, fixed base:version)
REQUESTS = {
    ItemKind.NOTIFICATION: ("pm", "importSupplierNotificationsOfOrderExecutionRequest",
                            "SupplierNotificationOfOrderExecution", "10.0.1.1"),
    ItemKind.ACK: ("bills", "importAcknowledgmentRequest", "AcknowledgmentRequestInfo", "11.0.0.2"),
    ItemKind.ACK_CANCEL: ("bills", "importAcknowledgmentRequest", "AckCancellation", "11.0.0.2"),
}  # fmt: skip
ORDER_ID_LENGTH = 32  # payments-base:OrderID is exactly 32 characters; shorter ones go as OrderIDMultipurpose


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _sub(parent: etree._Element, prefix: str, name: str, value: object = None) -> etree._Element:
    node = etree.SubElement(parent, _q(prefix, name))
    if value is not None:
        node.text = str(value)
    return node


def file_name(kind: ItemKind, run_date_iso: str, number: int) -> str:
    """The name of a request file: the request, the export date and its number that day."""
    request = REQUESTS[kind][1]
    suffix = "-cancel" if kind is ItemKind.ACK_CANCEL else ""
    return f"{request}{suffix}-{run_date_iso}-{number:03d}.xml"


def render_request(kind: ItemKind, items: Sequence[tuple[str, str]]) -> bytes:
    """One request of ``kind`` holding ``items`` — (TransportGUID, JSON payload) pairs, in order."""
    prefix, request, element, version = REQUESTS[kind]
    root = etree.Element(_q(prefix, request), {_q("base", "version"): version}, nsmap=NS)
    for guid, payload in items:
        node = etree.SubElement(root, _q(prefix, element))
        data = json.loads(payload)
        if kind is ItemKind.NOTIFICATION:
            _notification(node, data)
        elif kind is ItemKind.ACK:
            _ack(node, data)
        else:
            _cancel(node, data)
        _sub(node, "base", "TransportGUID", guid)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _notification(node: etree._Element, data: dict) -> None:
    """SupplierNotificationOfOrderExecutionType: OrderDate, OrderPeriod, the ПД (ИПД or ИЖКУ), Amount."""
    _sub(node, "pm", "OrderDate", data["order_date"])
    period = _sub(node, "pm", "OrderPeriod")
    _sub(period, "base", "Month", data["month"])
    _sub(period, "base", "Year", data["year"])
    if data.get("ipd"):
        _sub(node, "bb", "PaymentDocumentID", data["ipd"])
    else:
        _sub(node, "ab", "ServiceID", data["service_id"])
    _sub(node, "pm", "Amount", data["amount"])  # kopecks, as ГИС ЖКХ counts payment amounts


def _payment_identity(node: etree._Element, data: dict) -> None:
    """The notification's GUID, or OrderID (OrderIDMultipurpose) with the notifying organisation."""
    if data.get("notification_guid"):
        _sub(node, "pb", "NotificationsOfOrderExecutionGUID", data["notification_guid"])
        return
    order = str(data["order_id"])
    _sub(node, "pb", "OrderID" if len(order) == ORDER_ID_LENGTH else "OrderIDMultipurpose", order)
    _sub(node, "base", "orgPPAGUID", data["org_guid"])


def _ack(node: etree._Element, data: dict) -> None:
    """AcknowledgmentRequestInfoType: the payment, then PaymentDocumentAck for one service line."""
    _payment_identity(node, data)
    ack = _sub(node, "pb", "PaymentDocumentAck")
    _sub(ack, "bb", "PaymentDocumentID", data["ipd"])
    service = _sub(ack, "pb", data["service_element"])
    if data["service_element"] in NSI_TYPES:
        _sub(service, "nsi", "Code", data["service_code"])
        _sub(service, "nsi", "GUID", data["service_guid"])
    else:
        service.text = data["service_guid"]
    _sub(ack, "pb", "Amount", data["amount"])  # "Сумма квитирования (в копейках)"


def _cancel(node: etree._Element, data: dict) -> None:
    """AckCancellation: the payment as it was acknowledged, and the ПД."""
    _payment_identity(node, data)
    _sub(node, "bb", "PaymentDocumentID", data["ipd"])
