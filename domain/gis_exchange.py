"""Outbound ГИС ЖКХ items: what the center places (payments, квитирование, its cancellation), judged
from frames the storage layer hands over. Pure: no I/O.

Each item gets a TransportGUID derived (uuid5) from a stable key — the payment's channel, operation
id and occurrence, the ПД and the ledger leg — so the same item always has the same GUID and
exporting a date again cannot invent a second one (docs/GIS.md).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from domain.identifiers import els, ipd

# A fixed namespace: changing it would give every item a new TransportGUID.
NAMESPACE = uuid.UUID("0f6c1d2e-8a4b-5c3d-9e7f-1a2b3c4d5e6f")
SERVICE_TYPES = ("HSType", "MSType", "ASType", "PServiceType", "TMSType")  # the XSD's choice in PaymentDocumentAck
NSI_TYPES = ("PServiceType", "TMSType")  # nsiRef: a code and a GUID; the others a GUID alone


class ItemKind(StrEnum):
    """What an outbound item is; each kind goes into its own request."""

    NOTIFICATION = "notification"  # importSupplierNotificationsOfOrderExecutionRequest
    ACK = "ack"  # importAcknowledgmentRequest / AcknowledgmentRequestInfo
    ACK_CANCEL = "ack_cancel"  # importAcknowledgmentRequest / AckCancellation


class ItemStatus(StrEnum):
    """Where an item stands in the exchange."""

    PENDING = "pending"  # stored, its file not yet written
    EXPORTED = "exported"  # in a file of out/<date>/gis/, no answer yet
    ACCEPTED = "accepted"  # ГИС ЖКХ answered with success
    REJECTED = "rejected"  # ГИС ЖКХ answered with an error


class Waiting(StrEnum):
    """Why a candidate is not (yet) an item; counted in the export's result, never silently dropped."""

    NO_DOCUMENT = "no_document"  # in suspense: no ПД to name
    NO_IDENTIFIER = "no_identifier"  # the ПД has no ИПД and the payment no ИЖКУ
    NO_IPD = "no_ipd"  # квитирование names the ПД by its ИПД; this one has none
    NOTIFICATION_NOT_ACCEPTED = "notification_not_accepted"  # its notification has no ГИС ЖКХ GUID yet
    NO_ORDER_ORG = "no_order_org"  # a ГИС ЖКХ channel without a configured orgPPAGUID
    NO_SERVICE_TYPE = "no_service_type"  # the service has no configured ГИС ЖКХ type


@dataclass(frozen=True)
class ServiceType:
    """A service's type in ГИС ЖКХ's directories, as ``PaymentDocumentAck`` names it."""

    element: str  # one of SERVICE_TYPES
    guid: str
    code: str = ""  # nsiRef code, for PServiceType and TMSType


def transport_guid(kind: ItemKind, key: str) -> str:
    """The item's TransportGUID: the same kind and key always give the same GUID.

    >>> transport_guid(ItemKind.ACK, "sber:1:1:leg3") == transport_guid(ItemKind.ACK, "sber:1:1:leg3")
    True
    """
    return str(uuid.uuid5(NAMESPACE, f"{kind.value}:{key}"))


def is_ipd(value: object) -> bool:
    """Whether ``value`` is an ИПД as stored (18 characters, the XSD's PaymentDocumentID)."""
    return isinstance(value, str) and ipd.is_valid(value) and ipd.compact(value) == value


def is_izhku(value: object) -> bool:
    """Whether ``value`` is an ИЖКУ as stored (``26АА000101-01``, the XSD's 13-character ServiceID)."""
    return isinstance(value, str) and els.is_valid_izhku(value) and els.compact(value) == value


# The stored forms the XSD accepts: a value equal to its own compact form (``ipd.compact``,
# ``els.compact``) and valid has exactly these shapes, so a whole column is judged at once.
_IPD_FORM = r"[0-9А-ЯЁ\-]{18}"
_IZHKU_FORM = r"\d{2}[А-Я]{2}\d{6}-\d{2}"


def ipd_mask(values: pd.Series) -> pd.Series:
    """``is_ipd`` of every value of a column (None is False), vectorised."""
    return values.astype("string").str.fullmatch(_IPD_FORM).fillna(False).astype(bool)


def izhku_mask(values: pd.Series) -> pd.Series:
    """``is_izhku`` of every value of a column (None is False), vectorised."""
    return values.astype("string").str.fullmatch(_IZHKU_FORM).fillna(False).astype(bool)


def payment_key(frame: pd.DataFrame) -> pd.Series:
    """The stable key of each payment: ``channel:operation_id:occurrence``."""
    channel, operation = frame["channel"].astype(str), frame["operation_id"].astype(str)
    return channel + ":" + operation + ":" + frame["occurrence"].astype(str)


def _items(
    kind: ItemKind, keys: pd.Series, frame: pd.DataFrame, payloads: list[dict], entry: str | None
) -> pd.DataFrame:
    """Items of ``kind`` in key order: TransportGUID, payment and entry, key and JSON payload."""
    out = pd.DataFrame({
        "transport_guid": [transport_guid(kind, k) for k in keys],
        "kind": kind.value,
        "payment_id": frame["payment_id"].astype("int64").to_numpy(),
        "entry_id": frame[entry].astype("Int64").to_numpy() if entry else pd.array([None] * len(frame), "Int64"),
        "sort_key": keys.to_numpy(),
        "payload": [json.dumps(p, ensure_ascii=False, sort_keys=True) for p in payloads],
    })  # fmt: skip
    return out.sort_values("sort_key", ignore_index=True)


def _waiting(frame: pd.DataFrame, reason: Waiting) -> dict[str, int]:
    return {reason.value: len(frame)} if len(frame) else {}


def notification_items(payments: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Supplier notifications for payments that came through non-ГИС channels.

    ``payments``: payment_id, channel, operation_id, occurrence, paid_date, amount (kopecks), els,
    matched_uip, period (the ПД's ``YYYY-MM``, None in suspense). The ПД is named by its ИПД, else
    the payment's ИЖКУ (``ServiceID``); returns the items and the waiting counts."""
    matched = payments[payments["matched_uip"].notna()]
    waiting = _waiting(payments[payments["matched_uip"].isna()], Waiting.NO_DOCUMENT)
    by_ipd = ipd_mask(matched["matched_uip"])
    by_izhku = ~by_ipd & izhku_mask(matched["els"])
    usable = matched[by_ipd | by_izhku]
    waiting |= _waiting(matched[~(by_ipd | by_izhku)], Waiting.NO_IDENTIFIER)
    named = by_ipd[by_ipd | by_izhku]
    payloads = [
        {"order_date": str(paid)[:10], "year": int(period[:4]), "month": int(period[5:7]),
         "ipd": uip if ipd_named else None, "service_id": None if ipd_named else els, "amount": int(amount)}
        for paid, period, uip, els, amount, ipd_named in zip(
            usable["paid_date"], usable["period"], usable["matched_uip"], usable["els"], usable["amount"], named,
            strict=True,
        )
    ]  # fmt: skip
    return _items(ItemKind.NOTIFICATION, payment_key(usable), usable, payloads, None), waiting


def ack_items(
    legs: pd.DataFrame, services: dict[str, ServiceType], order_orgs: dict[str, str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """One AcknowledgmentRequestInfo per supplier leg of each payment entry: the ПД's service line
    with the amount split to it.

    ``legs``: payment_id, channel, operation_id, occurrence, entry_id, leg, service, amount (the
    leg's credit, positive kopecks), matched_uip, notification_guid (the GUID ГИС ЖКХ gave the
    payment's notification, else None), gis_channel (bool: the payment came through ГИС ЖКХ).
    A ГИС ЖКХ payment is named by its OrderID and the orgPPAGUID configured for its channel, any
    other by the GUID of the center's own notification, known once ГИС ЖКХ accepted it."""
    waiting: dict[str, int] = {}
    ipd = ipd_mask(legs["matched_uip"])
    waiting |= _waiting(legs[~ipd], Waiting.NO_IPD)
    legs = legs[ipd]
    org = legs["channel"].map(order_orgs)
    gis = legs["gis_channel"].astype(bool)
    waiting |= _waiting(legs[gis & org.isna()], Waiting.NO_ORDER_ORG)
    waiting |= _waiting(legs[~gis & legs["notification_guid"].isna()], Waiting.NOTIFICATION_NOT_ACCEPTED)
    named = (gis & org.notna()) | (~gis & legs["notification_guid"].notna())
    # a payment is acknowledged whole or not at all: one unknown service holds all its lines
    known = legs["service"].isin(list(services)).groupby(legs["payment_id"]).transform("all").astype(bool)
    waiting |= _waiting(legs[named & ~known], Waiting.NO_SERVICE_TYPE)
    legs, org = legs[named & known], org[named & known]
    payloads = []
    for row, org_guid in zip(legs.itertuples(index=False), org, strict=True):
        service = services[row.service]
        payloads.append({
            **_identity(row, org_guid), "ipd": row.matched_uip, "amount": int(row.amount),
            "service_element": service.element, "service_guid": service.guid, "service_code": service.code,
        })  # fmt: skip
    keys = payment_key(legs) + ":" + legs["entry_id"].astype(str) + ":" + legs["leg"].astype(str)
    return _items(ItemKind.ACK, keys, legs, payloads, "entry_id"), waiting


def cancel_items(acked: pd.DataFrame) -> pd.DataFrame:
    """One AckCancellation per reversed payment whose квитирование was exported: it undoes every
    line acknowledged for that payment and ПД.

    ``acked``: payment_id, channel, operation_id, occurrence, reversal_id (the reversal entry),
    matched_uip, payload (one of the payment's ack items: it names the payment as the ack did)."""
    payloads = [
        {**{k: v for k, v in json.loads(p).items() if k in ("notification_guid", "order_id", "org_guid")},
         "ipd": uip}
        for p, uip in zip(acked["payload"], acked["matched_uip"], strict=True)
    ]  # fmt: skip
    keys = payment_key(acked) + ":" + acked["reversal_id"].astype(str)
    return _items(ItemKind.ACK_CANCEL, keys, acked, payloads, "reversal_id")


def _identity(row: object, org_guid: object) -> dict[str, str | None]:
    """How an acknowledgment names the payment: the notification's GUID, or OrderID + orgPPAGUID."""
    if isinstance(org_guid, str) and bool(row.gis_channel):  # type: ignore[attr-defined]
        return {"notification_guid": None, "order_id": str(row.operation_id), "org_guid": org_guid}  # type: ignore[attr-defined]
    return {"notification_guid": row.notification_guid, "order_id": None, "org_guid": None}  # type: ignore[attr-defined]


def chunks(count: int, size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` bounds of consecutive requests of at most ``size`` items.

    >>> chunks(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    """
    if size < 1:
        raise ValueError(f"request size must be ≥ 1, got {size}")
    return [(start, min(start + size, count)) for start in range(0, count, size)]


class CancellationStatus(StrEnum):
    """Where a ГИС ЖКХ cancellation of a payment notification stands (``rkc.gis_cancel``)."""

    APPLIED = "applied"  # its payment reversed (or found reversed already)
    HELD = "held"  # no posted payment of that OrderID yet: tried again every night, reported
