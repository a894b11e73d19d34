"""The outbound ГИС ЖКХ items judged without a database: which payments become which items, what
waits and why, stable TransportGUIDs, request sizes, the gis_export configuration, and the schema
refusing a request that is wrong (so the export's validation can fail)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from domain.gis_exchange import (
    ItemKind,
    ServiceType,
    ack_items,
    cancel_items,
    chunks,
    notification_items,
    transport_guid,
)
from parsers.gis_xsd import safe_xml_parser
from reports.gis_packages import render_request
from rkc.config import ConfigError
from rkc.config_gis import parse_gis_export

IPD = "26АА000101-01-1026"
IZHKU = "26АА000101-01"
GUID = "11111111-2222-4333-8444-555555555555"
SERVICES = {"отопление": ServiceType("MSType", GUID), "электроэнергия": ServiceType("TMSType", GUID, "2")}


def _payments(rows: list[tuple]) -> pd.DataFrame:
    columns = ["payment_id", "channel", "operation_id", "occurrence", "paid_date", "amount", "els", "matched_uip",
               "period"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


@pytest.mark.parametrize(
    ("uip", "els", "expected"),
    [
        (IPD, None, ("ipd", IPD)),  # the ПД's ИПД
        ("000000001234202610" + "01", IZHKU, ("service_id", IZHKU)),  # no ИПД: the payment's ИЖКУ
        ("000000001234202610" + "01", "26АА000101", "no_identifier"),  # an ЕЛС alone names no ПД
        ("000000001234202610" + "01", None, "no_identifier"),
        (None, IZHKU, "no_document"),  # suspense
    ],
)
def test_a_notification_names_the_document_or_waits(uip, els, expected) -> None:
    frame = _payments([(1, "sber", "op1", 1, "2026-11-20", 150000, els, uip, None if uip is None else "2026-10")])
    items, waiting = notification_items(frame)
    if isinstance(expected, str):
        assert items.empty and waiting == {expected: 1}
        return
    payload = json.loads(items["payload"].iloc[0])
    assert payload[expected[0]] == expected[1] and payload["amount"] == 150000
    assert (payload["year"], payload["month"], payload["order_date"]) == (2026, 10, "2026-11-20")


def _legs(rows: list[tuple]) -> pd.DataFrame:
    columns = ["payment_id", "channel", "operation_id", "occurrence", "entry_id", "leg", "service", "amount",
               "matched_uip", "notification_guid", "gis_channel"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


@pytest.mark.parametrize(
    ("rows", "orgs", "acked", "waiting"),
    [
        # a bank payment whose notification ГИС ЖКХ accepted: one ack per supplier leg
        ([(1, "sber", "a", 1, 10, 3, "отопление", 900, IPD, GUID, False),
          (1, "sber", "a", 1, 10, 4, "электроэнергия", 600, IPD, GUID, False)], {}, [900, 600], {}),
        # not accepted yet
        ([(1, "sber", "a", 1, 10, 3, "отопление", 900, IPD, None, False)], {}, [],
         {"notification_not_accepted": 1}),
        # a ГИС ЖКХ payment: by OrderID and the channel's organisation, or waiting for it
        ([(2, "gis", "b", 1, 11, 3, "отопление", 500, IPD, None, True)], {"gis": GUID}, [500], {}),
        ([(2, "gis", "b", 1, 11, 3, "отопление", 500, IPD, None, True)], {}, [], {"no_order_org": 1}),
        # one service without a type holds the whole payment: never a partial квитирование
        ([(1, "sber", "a", 1, 10, 3, "отопление", 900, IPD, GUID, False),
          (1, "sber", "a", 1, 10, 4, "газоснабжение", 600, IPD, GUID, False)], {}, [], {"no_service_type": 2}),
        # квитирование names the ПД by its ИПД
        ([(1, "sber", "a", 1, 10, 3, "отопление", 900, "00000000123420261001", GUID, False)], {}, [],
         {"no_ipd": 1}),
    ],
)  # fmt: skip
def test_acknowledgments_and_what_waits(rows, orgs, acked, waiting) -> None:
    items, found = ack_items(_legs(rows), SERVICES, orgs)
    assert sorted(json.loads(p)["amount"] for p in items["payload"]) == sorted(acked)
    assert found == waiting


def test_a_cancellation_names_the_payment_as_its_acknowledgment_did() -> None:
    acks, _ = ack_items(_legs([(2, "gis", "b", 1, 11, 3, "отопление", 500, IPD, None, True)]), SERVICES, {"gis": GUID})
    acked = pd.DataFrame({"payment_id": [2], "channel": ["gis"], "operation_id": ["b"], "occurrence": [1],
                          "reversal_id": [99], "matched_uip": [IPD], "payload": acks["payload"]})  # fmt: skip
    cancel = cancel_items(acked)
    assert json.loads(cancel["payload"].iloc[0]) == {"order_id": "b", "org_guid": GUID, "notification_guid": None,
                                                    "ipd": IPD}  # fmt: skip
    assert cancel["entry_id"].iloc[0] == 99 and cancel["kind"].iloc[0] == "ack_cancel"


def test_transport_guids_are_stable_and_differ_by_kind_and_key() -> None:
    assert transport_guid(ItemKind.ACK, "k") == transport_guid(ItemKind.ACK, "k")
    assert len({transport_guid(kind, key) for kind in ItemKind for key in ("k", "k2")}) == 6
    uuid.UUID(transport_guid(ItemKind.NOTIFICATION, "sber:1:1"))


@given(count=st.integers(0, 1000), size=st.integers(1, 300))
def test_requests_cover_every_item_once_within_the_limit(count: int, size: int) -> None:
    bounds = chunks(count, size)
    assert [i for start, stop in bounds for i in range(start, stop)] == list(range(count))
    assert all(0 < stop - start <= size for start, stop in bounds)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"services": {"отопление": {"type": "XType", "guid": GUID}}}, "type must be one of"),
        ({"services": {"отопление": {"type": "MSType", "guid": "not-a-guid"}}}, "guid must be a GUID"),
        ({"services": {"отопление": {"type": "TMSType", "guid": GUID}}}, "code must be the НСИ code"),
        ({"services": {"отопление": "MSType"}}, "must be a mapping"),
        ({"order_orgs": {"nope": GUID}}, "names no channel"),
        ({"order_orgs": {"gis": "x"}}, "must be a GUID"),
        ("text", "gis_export must be a mapping"),
    ],
)
def test_configuration_mistakes_name_the_key(section, message) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_gis_export(section, "rkc.yaml", {"gis", "sber"}, ConfigError)


def test_configuration_read() -> None:
    parsed = parse_gis_export({"services": {"отопление": {"type": "TMSType", "guid": GUID, "code": "1.2"}},
                               "order_orgs": {"gis": GUID}}, "rkc.yaml", {"gis"}, ConfigError)  # fmt: skip
    assert parsed.services == {"отопление": ServiceType("TMSType", GUID, "1.2")} and parsed.order_orgs == {"gis": GUID}


@pytest.mark.parametrize(
    ("change", "valid"),
    [({}, True), ({"amount": "12.345"}, False), ({"ipd": "short"}, False), ({"service_guid": "x"}, False)],
)
def test_the_schema_refuses_a_wrong_acknowledgment(xsd_dir: Path, change: dict, valid: bool) -> None:
    payload = {"notification_guid": GUID, "order_id": None, "org_guid": None, "ipd": IPD, "amount": 1500,
               "service_element": "MSType", "service_guid": GUID, "service_code": "", **change}  # fmt: skip
    schema = etree.XMLSchema(etree.parse(str(xsd_dir / "bills/hcs-bills-types.xsd"), safe_xml_parser()))
    content = render_request(ItemKind.ACK, [(GUID, json.dumps(payload))])
    assert schema.validate(etree.fromstring(content, safe_xml_parser())) is valid


@given(st.one_of(st.none(), st.text(alphabet="0123456789АБЕЖЯЁAB- x", max_size=20),
                 st.from_regex(r"\d{2}[А-Я]{2}\d{6}-\d{2}(-\d{4})?", fullmatch=True)))  # fmt: skip
def test_the_column_masks_agree_with_the_identifier_checks(value) -> None:
    from domain.gis_exchange import ipd_mask, is_ipd, is_izhku, izhku_mask

    column = pd.Series([value], dtype=object)
    assert bool(ipd_mask(column).iloc[0]) == is_ipd(value)
    assert bool(izhku_mask(column).iloc[0]) == is_izhku(value)
