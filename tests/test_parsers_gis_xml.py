"""The ГИС ЖКХ XML register parser: golden outputs, XSD validation, identification, hostile input.

Golden files sit beside their inputs in ``tests/data/registers``; regenerate them with
``RKC_REGEN_GOLDEN=1`` after a deliberate change and review the diff.
"""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from domain.records import PAYMENT_COLUMNS
from parsers.base import BadFile, pick_parser, read_head
from parsers.gis_xml import NOTIFICATION, RAW_LIMIT, GisXmlParser
from parsers.gis_xsd import SchemaConfigError, load_schema, safe_xml_parser
from tests.gisutil import CLOSE, NS, OPEN, SAMPLE, SOAP, as_json, note, parse_all, write


@pytest.mark.parametrize("sample", [SAMPLE, SOAP], ids=["plain", "soap"])
def test_golden_output_with_xsd(sample: Path, xsd_dir: Path) -> None:
    chunks = parse_all(GisXmlParser(xsd_dir), sample)
    got = as_json(chunks)
    golden = sample.with_suffix(".expected.json")
    if os.environ.get("RKC_REGEN_GOLDEN"):
        golden.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert got == json.loads(golden.read_text(encoding="utf-8"))
    payments = chunks[-1].payments
    assert list(payments.columns) == list(PAYMENT_COLUMNS)
    assert {c: str(t) for c, t in payments.dtypes.items()} == PAYMENT_COLUMNS
    assert all(c.declared is None for c in chunks)


def test_samples_are_valid_per_the_official_xsd(xsd_dir: Path) -> None:
    schema = load_schema(xsd_dir)
    soap = etree.parse(str(SOAP), safe_xml_parser())
    request = soap.getroot().find(".//{http://dom.gosuslugi.ru/schema/integration/payment/}"
                                  "importNotificationsOfOrderExecutionRequest")  # fmt: skip
    assert schema.validate(etree.ElementTree(copy.deepcopy(request))), schema.error_log
    plain = etree.parse(str(SAMPLE), safe_xml_parser()).getroot()
    notes = plain.findall(NOTIFICATION)
    assert len(notes) == 5
    for bad in notes[3:]:  # the last two are invalid on purpose
        plain.remove(bad)
    assert schema.validate(plain), schema.error_log


def test_identification_by_sample_kind(xsd_dir: Path) -> None:
    chunks = parse_all(GisXmlParser(xsd_dir), SAMPLE)
    payments = chunks[0].payments.set_index("line_no")
    by_ipd, by_account, by_els = payments.loc[4], payments.loc[32], payments.loc[58]
    assert by_ipd["uip"] == "00АА123456-01-4041" and by_ipd["account"] is None and by_ipd["period"] is None
    assert by_account["account_raw"] == "000123456" and by_account["account"] == "123456"
    assert by_account["period"] == "2024-04" and by_account["uip"] is None
    assert by_els["els"] == "35АВ123456" and by_els["period"] == "2024-12"
    assert by_els["payer"] == "Сидорова Анна Сергеевна" and by_els["supplier_inn"] == "540312345678"
    assert by_els["amount"] == 78901 and by_els["paid_date"] == "2024-05-03"


def test_without_xsd_only_unreadable_notifications_are_errors() -> None:
    chunks = parse_all(GisXmlParser(), SAMPLE)
    payments, errors = chunks[0].payments, chunks[0].errors
    assert payments["operation_id"].str[-1].tolist() == ["1", "2", "3", "4"]  # 4 has a short ИПД
    assert [(e.line_no, e.amount) for e in errors] == [(114, None)]
    assert "Amount" in errors[0].reason
    assert chunks[0].meta == {"schema": "none"}


def test_small_chunks_give_the_same_rows(xsd_dir: Path) -> None:
    whole = as_json(parse_all(GisXmlParser(xsd_dir), SAMPLE))
    chunks = parse_all(GisXmlParser(xsd_dir, chunk_rows=2), SAMPLE)
    assert len(chunks) == 3
    assert as_json(chunks) == whole


def test_raw_is_truncated(tmp_path: Path) -> None:
    path = write(tmp_path, OPEN + note(purpose="я" * 5000) + CLOSE)
    (chunk,) = parse_all(GisXmlParser(), path)
    raw = chunk.payments["raw"].iloc[0]
    assert len(raw) == RAW_LIMIT and raw.startswith("<pay:NotificationOfOrderExecutionType>")
    assert "xmlns" not in raw


def test_unreadable_fields_are_line_errors_and_the_rest_is_read(tmp_path: Path) -> None:
    notes = [note("D" * 32, "12.50"), note("E" * 33, "7"), note("F" * 32, "300"),
             note("G" * 32).replace("2024-05-01", "2024-13-01")]  # fmt: skip
    path = write(tmp_path, OPEN + "\n" + "\n".join(notes) + "\n" + CLOSE)
    (chunk,) = parse_all(GisXmlParser(), path)
    assert chunk.payments["operation_id"].tolist() == ["F" * 32]
    assert chunk.payments["amount"].tolist() == [300]
    assert [(e.line_no, e.amount) for e in chunk.errors] == [(2, None), (3, 7), (5, 100)]
    assert "OrderID longer" in chunk.errors[1].reason and "OrderDate" in chunk.errors[2].reason


# --- identify -------------------------------------------------------------------------------------

NOT_CLAIMED = {
    "text register": "01.05.2024;12:00:00;1234;5678;000123456;Иванов;ул. Ленина 1;042024;1500,00\n".encode("cp1251"),
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
    "empty": b"",
    "cancellation request": (
        '<?xml version="1.0"?><pay:importNotificationsOfOrderExecutionCancellationRequest '
        f"{NS}></pay:importNotificationsOfOrderExecutionCancellationRequest>"
    ).encode(),
    # a request in another namespace is claimed, then refused naming it: test_parsers_gis_namespace.py
    "name in text": b"importNotificationsOfOrderExecutionRequest http://dom.gosuslugi.ru/schema/integration/payment/",
}


@pytest.mark.parametrize("name", sorted(NOT_CLAIMED))
def test_identify_refuses_other_files(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, NOT_CLAIMED[name])
    assert not GisXmlParser().identify(path, read_head(path))


@pytest.mark.parametrize("sample", [SAMPLE, SOAP], ids=["plain", "soap"])
def test_identify_claims_samples_and_pick_parser_agrees(sample: Path) -> None:
    parser = GisXmlParser()
    assert parser.identify(sample, read_head(sample))
    assert pick_parser(sample, [parser]) is parser
    bom = b"\xef\xbb\xbf" + sample.read_bytes()
    assert parser.identify(sample, bom[:4096])


# --- hostile and broken files ---------------------------------------------------------------------

LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + "]>\n"
    + OPEN
    + note(purpose="&lol9;")
    + CLOSE
)


def _bad(tmp_path: Path, data: bytes | str, parser: GisXmlParser | None = None) -> BadFile:
    path = write(tmp_path, data)
    with pytest.raises(BadFile) as info:
        parse_all(parser or GisXmlParser(), path)
    return info.value


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    started = time.perf_counter()
    error = _bad(tmp_path, LAUGHS)
    assert "DOCTYPE" in error.reason and time.perf_counter() - started < 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_external_entity_is_never_read(tmp_path: Path, encoding: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42", encoding="utf-8")
    doc = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n' + OPEN + note(purpose="&xxe;") + CLOSE
    )
    path = write(tmp_path, doc.encode(encoding))
    with pytest.raises(BadFile) as info:
        for chunk in GisXmlParser().parse(path):
            assert "TOP-SECRET" not in chunk.payments.to_json()
    assert "DOCTYPE" in info.value.reason


def test_any_doctype_is_refused(tmp_path: Path) -> None:
    error = _bad(tmp_path, '<?xml version="1.0"?><!DOCTYPE x>' + OPEN + note() + CLOSE)
    assert "DOCTYPE" in error.reason


def test_huge_text_node_is_refused(tmp_path: Path) -> None:
    error = _bad(tmp_path, OPEN + note(purpose="x" * 11_000_000) + CLOSE)
    assert "well-formed" in error.reason


def test_truncated_file_raises_from_the_iterator(tmp_path: Path) -> None:
    data = SAMPLE.read_bytes()
    for cut in (60, len(data) // 3, len(data) // 2, len(data) - 20):
        path = write(tmp_path, data[:cut])
        with pytest.raises(BadFile):
            parse_all(GisXmlParser(chunk_rows=1), path)


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"just text, not xml", "well-formed"),
        (
            ('<?xml version="1.0" encoding="UTF-8"?>' + OPEN + note(purpose="Оплата") + CLOSE).encode("cp1251"),
            "well-formed",
        ),
        (OPEN + CLOSE, "no NotificationOfOrderExecutionType"),
        (OPEN + note().replace("ExecutionType", "Execution139Type") + CLOSE, "not supported"),
        (f"<wrapper {NS}>" + note() + "</wrapper>", "outside"),
        (f"<w {NS}>" + OPEN + note() + CLOSE + "</w>", "SOAP Body"),
    ],
    ids=["not xml", "wrong encoding", "no notifications", "139 type", "no request", "odd wrapper"],
)
def test_broken_files_are_bad_files(tmp_path: Path, data: str | bytes, reason: str) -> None:
    assert reason in _bad(tmp_path, data).reason


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from([b"", OPEN.encode(), b'<?xml version="1.0"?>' + OPEN.encode()]),
       body=st.binary(max_size=600))  # fmt: skip
def test_random_bytes_never_crash(tmp_path: Path, prefix: bytes, body: bytes) -> None:
    path = write(tmp_path, prefix + body)
    try:
        for chunk in GisXmlParser().parse(path):
            assert list(chunk.payments.columns) == list(PAYMENT_COLUMNS)
    except BadFile:
        pass


# --- schema configuration -------------------------------------------------------------------------


def test_missing_schema_dir_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaConfigError):
        GisXmlParser(tmp_path / "nowhere")


def test_schema_that_would_import_from_the_network_is_refused(tmp_path: Path) -> None:
    entry = tmp_path / "payment" / "hcs-payment-types.xsd"
    entry.parent.mkdir()
    entry.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t">'
        '<xs:import namespace="urn:x" schemaLocation="http://127.0.0.1:9/x.xsd"/></xs:schema>'
    )
    with pytest.raises(SchemaConfigError, match="not a relative local path"):
        GisXmlParser(tmp_path)


@pytest.mark.parametrize("kind", ["laughs", "xxe"])
def test_libxml2_layer_holds_without_the_byte_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """Even if the prolog scan missed a DOCTYPE, the parser settings and the docinfo check hold."""
    monkeypatch.setattr("parsers.gis_xml.has_doctype", lambda head: False)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42", encoding="utf-8")
    xxe = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
    doc = LAUGHS if kind == "laughs" else xxe + OPEN + note(purpose="&xxe;") + CLOSE
    path = write(tmp_path, doc)
    started = time.perf_counter()
    with pytest.raises(BadFile) as info:
        for chunk in GisXmlParser().parse(path):
            assert "TOP-SECRET" not in chunk.payments.to_json()
    # the first notification's end event sees the DOCTYPE, unless libxml2's own guard stops first
    assert "DOCTYPE" in info.value.reason or "amplification" in info.value.reason
    assert time.perf_counter() - started < 1


def test_stray_element_in_the_request_is_a_bad_file(tmp_path: Path) -> None:
    stray = "<pb:OrderInfo><pb:OrderID>" + "S" * 32 + "</pb:OrderID></pb:OrderInfo>"
    error = _bad(tmp_path, OPEN + note() + stray + note("H" * 32) + CLOSE)
    assert "unexpected element" in error.reason


def test_recipient_fio_is_not_taken_for_the_payer(tmp_path: Path) -> None:
    ib = 'xmlns:ib="http://dom.gosuslugi.ru/schema/integration/individual-registry-base/"'
    recipient = (
        '<pb:RecipientInfo><ob:INN xmlns:ob="http://dom.gosuslugi.ru/schema/integration/organizations-base/">'
        f"500100732259</ob:INN><pb:Entpr {ib}><ib:Surname>Петров</ib:Surname>"
        "<ib:FirstName>Пётр</ib:FirstName></pb:Entpr></pb:RecipientInfo>"
    )
    consumer = (
        f"<pb:AddressAndConsumer><pb:Ind {ib}><ib:Surname>Сидорова</ib:Surname><ib:FirstName>Анна"
        "</ib:FirstName></pb:Ind></pb:AddressAndConsumer></pb:OrderInfo>"
    )
    rich = note().replace("<pb:OrderInfo>", recipient + "<pb:OrderInfo>").replace("</pb:OrderInfo>", consumer)
    (chunk,) = parse_all(GisXmlParser(), write(tmp_path, OPEN + rich + CLOSE))
    assert chunk.payments["payer"].tolist() == ["Сидорова Анна"]
    assert chunk.payments["supplier_inn"].tolist() == ["500100732259"]


def test_all_notifications_invalid_gives_an_empty_typed_frame(tmp_path: Path, xsd_dir: Path) -> None:
    path = write(tmp_path, OPEN + note(amount="x") + "\n" + note(amount="-1") + CLOSE)
    for parser in (GisXmlParser(), GisXmlParser(xsd_dir)):
        (chunk,) = parse_all(parser, path)
        assert chunk.payments.empty and list(chunk.payments.columns) == list(PAYMENT_COLUMNS)
        assert chunk.payments["amount"].dtype == "int64"
        assert [e.line_no for e in chunk.errors] == [1, 2]
