"""What is read from a ГИС ЖКХ notification: the field leaves and the parents they must have.

Each field is a leaf element that must have a given parent (the parent check keeps e.g. the
recipient's own FIO under ``Entpr`` out of the payer's name); where several match, the last one
(in end-tag order) wins, and the value is the leaf's ``.text``. The streaming reader
(``parsers.gis_xml``) applies these rules element by element, ``parsers.gis_tokens`` to a whole
block of plainly written notifications at once.
"""

from __future__ import annotations

from parsers.gis_xsd import NS_BASE, NS_PAYMENT

NS_PB = "http://dom.gosuslugi.ru/schema/integration/payments-base/"
NS_BB = "http://dom.gosuslugi.ru/schema/integration/bills-base/"
NS_AB = "http://dom.gosuslugi.ru/schema/integration/account-base/"
NS_OB = "http://dom.gosuslugi.ru/schema/integration/organizations-base/"
NS_IB = "http://dom.gosuslugi.ru/schema/integration/individual-registry-base/"
_PREFIXES = {"pay": NS_PAYMENT, "base": NS_BASE, "pb": NS_PB, "bb": NS_BB, "ab": NS_AB, "ob": NS_OB, "ib": NS_IB}

NOTIFICATION = f"{{{NS_PAYMENT}}}NotificationOfOrderExecutionType"
NOTIFICATION_139 = f"{{{NS_PAYMENT}}}NotificationOfOrderExecution139Type"

# The fields read from one notification, in the order of the row list built per notification.
FIELDS = (
    "line_no", "raw", "operation_id", "order_date", "amount_text", "uip", "els", "account_raw",
    "year", "month", "supplier_name", "supplier_inn", "surname", "first_name", "patronymic", "purpose",
)  # fmt: skip
TEXT_FIELDS = FIELDS[2:]
# Text field -> (leaf, the parent it must have), as prefixed names of ``_PREFIXES``.
_SOURCES = {
    "operation_id": ("pb:OrderID", "pb:OrderInfo"),
    "order_date": ("pb:OrderDate", "pb:OrderInfo"),
    "amount_text": ("pb:Amount", "pb:OrderInfo"),
    "uip": ("bb:PaymentDocumentID", "pb:OrderInfo"),
    "els": ("ab:UnifiedAccountNumber", "pb:OrderInfo"),
    "account_raw": ("ab:AccountNumber", "pb:OrderInfo"),
    "year": ("base:Year", "pb:OrderInfo"),
    "month": ("base:Month", "pb:OrderInfo"),
    "supplier_name": ("pb:SupplierName", "pb:SupplierInfo"),
    "supplier_inn": ("ob:INN", "pb:RecipientInfo"),
    "surname": ("ib:Surname", "pb:Ind"),
    "first_name": ("ib:FirstName", "pb:Ind"),
    "patronymic": ("ib:Patronymic", "pb:Ind"),
    "purpose": ("pb:PaymentPurpose", "pb:OrderInfo"),
}


def _clark(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_PREFIXES[prefix]}}}{local}"


# Leaf element -> (the parent it must have, its slot in the row list).
LEAVES: dict[str, tuple[str, int]] = {
    _clark(leaf): (_clark(parent), FIELDS.index(field)) for field, (leaf, parent) in _SOURCES.items()
}
