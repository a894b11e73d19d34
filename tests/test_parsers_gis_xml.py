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

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from domain.identifiers.account import compact as compact_account
from domain.records import PAYMENT_COLUMNS
from parsers.base import BadFile, Chunk, pick_parser, read_head
from parsers.gis_xml import NOTIFICATION, RAW_LIMIT, GisXmlParser
from parsers.gis_xsd import SchemaConfigError, load_schema, safe_xml_parser
from parsers.text_columns import compact_accounts

DATA = Path(__file__).resolve().parent / "data" / "registers"
SAMPLE = DATA / "gis_notifications.xml"
SOAP = DATA / "gis_notifications_soap.xml"
NS = (
    'xmlns:pay="http://dom.gosuslugi.ru/schema/integration/payment/" '
    'xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" '
    'xmlns:pb="http://dom.gosuslugi.ru/schema/integration/payments-base/"'
)
OPEN = f'<pay:importNotificationsOfOrderExecutionRequest {NS} base:version="10.0.1.1">'
CLOSE = "</pay:importNotificationsOfOrderExecutionRequest>"


def _note(order_id: str = "C" * 32, amount: str = "100", purpose: str = "ЖКУ") -> str:
    return (
        "<pay:NotificationOfOrderExecutionType><pb:OrderInfo>"
        f"<pb:OrderID>{order_id}</pb:OrderID><pb:OrderDate>2024-05-01</pb:OrderDate>"
        f"<pb:Amount>{amount}</pb:Amount><pb:PaymentPurpose>{purpose}</pb:PaymentPurpose>"
        "</pb:OrderInfo></pay:NotificationOfOrderExecutionType>"
    )


@pytest.fixture(scope="session")
def xsd_dir(samples_dir: Path) -> Path:
    """The official ГИС ЖКХ XSD bundle in the shared samples."""
    path = samples_dir / "gis-zhkh-xsd-14.4.0.1"
    if not path.is_dir():
        pytest.skip(f"ГИС ЖКХ XSD bundle not found at {path}")
    return path


def _write(tmp_path: Path, data: bytes | str, name: str = "register.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _all(parser: GisXmlParser, path: Path) -> list[Chunk]:
    return list(parser.parse(path))


def _as_json(chunks: list[Chunk]) -> dict:
    payments = pd.concat([c.payments for c in chunks], ignore_index=True)
    records = json.loads(payments.to_json(orient="records", force_ascii=False))
    errors = [
        {"line_no": e.line_no, "reason": e.reason, "amount": e.amount, "raw": e.raw} for c in chunks for e in c.errors
    ]
    return {"payments": records, "errors": errors, "declared": [c.declared for c in chunks if c.declared]}


@pytest.mark.parametrize("sample", [SAMPLE, SOAP], ids=["plain", "soap"])
def test_golden_output_with_xsd(sample: Path, xsd_dir: Path) -> None:
    chunks = _all(GisXmlParser(xsd_dir), sample)
    got = _as_json(chunks)
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
    chunks = _all(GisXmlParser(xsd_dir), SAMPLE)
    payments = chunks[0].payments.set_index("line_no")
    by_ipd, by_account, by_els = payments.loc[4], payments.loc[32], payments.loc[58]
    assert by_ipd["uip"] == "00АА123456-01-4041" and by_ipd["account"] is None and by_ipd["period"] is None
    assert by_account["account_raw"] == "000123456" and by_account["account"] == "123456"
    assert by_account["period"] == "2024-04" and by_account["uip"] is None
    assert by_els["els"] == "35АВ123456" and by_els["period"] == "2024-12"
    assert by_els["payer"] == "Сидорова Анна Сергеевна" and by_els["supplier_inn"] == "540312345678"
    assert by_els["amount"] == 78901 and by_els["paid_date"] == "2024-05-03"


def test_without_xsd_only_unreadable_notifications_are_errors() -> None:
    chunks = _all(GisXmlParser(), SAMPLE)
    payments, errors = chunks[0].payments, chunks[0].errors
    assert payments["operation_id"].str[-1].tolist() == ["1", "2", "3", "4"]  # 4 has a short ИПД
    assert [(e.line_no, e.amount) for e in errors] == [(114, None)]
    assert "Amount" in errors[0].reason
    assert chunks[0].meta == {"schema": "none"}


def test_small_chunks_give_the_same_rows(xsd_dir: Path) -> None:
    whole = _as_json(_all(GisXmlParser(xsd_dir), SAMPLE))
    chunks = _all(GisXmlParser(xsd_dir, chunk_rows=2), SAMPLE)
    assert len(chunks) == 3
    assert _as_json(chunks) == whole


def test_raw_is_truncated(tmp_path: Path) -> None:
    path = _write(tmp_path, OPEN + _note(purpose="я" * 5000) + CLOSE)
    (chunk,) = _all(GisXmlParser(), path)
    raw = chunk.payments["raw"].iloc[0]
    assert len(raw) == RAW_LIMIT and raw.startswith("<pay:NotificationOfOrderExecutionType>")
    assert "xmlns" not in raw


def test_unreadable_fields_are_line_errors_and_the_rest_is_read(tmp_path: Path) -> None:
    notes = [_note("D" * 32, "12.50"), _note("E" * 33, "7"), _note("F" * 32, "300"),
             _note("G" * 32).replace("2024-05-01", "2024-13-01")]  # fmt: skip
    path = _write(tmp_path, OPEN + "\n" + "\n".join(notes) + "\n" + CLOSE)
    (chunk,) = _all(GisXmlParser(), path)
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
    "foreign namespace": b'<x:importNotificationsOfOrderExecutionRequest xmlns:x="urn:other"/>',
    "prefix bound elsewhere": (
        b'<a:importNotificationsOfOrderExecutionRequest xmlns:a="urn:other" '
        b'xmlns:pay="http://dom.gosuslugi.ru/schema/integration/payment/"/>'
    ),
    "name in text": b"importNotificationsOfOrderExecutionRequest http://dom.gosuslugi.ru/schema/integration/payment/",
}


@pytest.mark.parametrize("name", sorted(NOT_CLAIMED))
def test_identify_refuses_other_files(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, NOT_CLAIMED[name])
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
    + _note(purpose="&lol9;")
    + CLOSE
)


def _bad(tmp_path: Path, data: bytes | str, parser: GisXmlParser | None = None) -> BadFile:
    path = _write(tmp_path, data)
    with pytest.raises(BadFile) as info:
        _all(parser or GisXmlParser(), path)
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
        f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n' + OPEN + _note(purpose="&xxe;") + CLOSE
    )
    path = _write(tmp_path, doc.encode(encoding))
    with pytest.raises(BadFile) as info:
        for chunk in GisXmlParser().parse(path):
            assert "TOP-SECRET" not in chunk.payments.to_json()
    assert "DOCTYPE" in info.value.reason


def test_any_doctype_is_refused(tmp_path: Path) -> None:
    error = _bad(tmp_path, '<?xml version="1.0"?><!DOCTYPE x>' + OPEN + _note() + CLOSE)
    assert "DOCTYPE" in error.reason


def test_huge_text_node_is_refused(tmp_path: Path) -> None:
    error = _bad(tmp_path, OPEN + _note(purpose="x" * 11_000_000) + CLOSE)
    assert "well-formed" in error.reason


def test_truncated_file_raises_from_the_iterator(tmp_path: Path) -> None:
    data = SAMPLE.read_bytes()
    for cut in (60, len(data) // 3, len(data) // 2, len(data) - 20):
        path = _write(tmp_path, data[:cut])
        with pytest.raises(BadFile):
            _all(GisXmlParser(chunk_rows=1), path)


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"just text, not xml", "well-formed"),
        (
            ('<?xml version="1.0" encoding="UTF-8"?>' + OPEN + _note(purpose="Оплата") + CLOSE).encode("cp1251"),
            "well-formed",
        ),
        (OPEN + CLOSE, "no NotificationOfOrderExecutionType"),
        (OPEN + _note().replace("ExecutionType", "Execution139Type") + CLOSE, "not supported"),
        (f"<wrapper {NS}>" + _note() + "</wrapper>", "outside"),
        (f"<w {NS}>" + OPEN + _note() + CLOSE + "</w>", "SOAP Body"),
    ],
    ids=["not xml", "wrong encoding", "no notifications", "139 type", "no request", "odd wrapper"],
)
def test_broken_files_are_bad_files(tmp_path: Path, data: str | bytes, reason: str) -> None:
    assert reason in _bad(tmp_path, data).reason


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from([b"", OPEN.encode(), b'<?xml version="1.0"?>' + OPEN.encode()]),
       body=st.binary(max_size=600))  # fmt: skip
def test_random_bytes_never_crash(tmp_path: Path, prefix: bytes, body: bytes) -> None:
    path = _write(tmp_path, prefix + body)
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
    doc = LAUGHS if kind == "laughs" else xxe + OPEN + _note(purpose="&xxe;") + CLOSE
    path = _write(tmp_path, doc)
    started = time.perf_counter()
    with pytest.raises(BadFile) as info:
        for chunk in GisXmlParser().parse(path):
            assert "TOP-SECRET" not in chunk.payments.to_json()
    # the first notification's end event sees the DOCTYPE, unless libxml2's own guard stops first
    assert "DOCTYPE" in info.value.reason or "amplification" in info.value.reason
    assert time.perf_counter() - started < 1


def test_stray_element_in_the_request_is_a_bad_file(tmp_path: Path) -> None:
    stray = "<pb:OrderInfo><pb:OrderID>" + "S" * 32 + "</pb:OrderID></pb:OrderInfo>"
    error = _bad(tmp_path, OPEN + _note() + stray + _note("H" * 32) + CLOSE)
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
    note = _note().replace("<pb:OrderInfo>", recipient + "<pb:OrderInfo>").replace("</pb:OrderInfo>", consumer)
    (chunk,) = _all(GisXmlParser(), _write(tmp_path, OPEN + note + CLOSE))
    assert chunk.payments["payer"].tolist() == ["Сидорова Анна"]
    assert chunk.payments["supplier_inn"].tolist() == ["500100732259"]


def test_all_notifications_invalid_gives_an_empty_typed_frame(tmp_path: Path, xsd_dir: Path) -> None:
    path = _write(tmp_path, OPEN + _note(amount="x") + "\n" + _note(amount="-1") + CLOSE)
    for parser in (GisXmlParser(), GisXmlParser(xsd_dir)):
        (chunk,) = _all(parser, path)
        assert chunk.payments.empty and list(chunk.payments.columns) == list(PAYMENT_COLUMNS)
        assert chunk.payments["amount"].dtype == "int64"
        assert [e.line_no for e in chunk.errors] == [1, 2]


# --- blocks read in parallel from their bytes, against the streaming reader -----------------------

NS_ALL = NS + (
    ' xmlns:bb="http://dom.gosuslugi.ru/schema/integration/bills-base/"'
    ' xmlns:ab="http://dom.gosuslugi.ru/schema/integration/account-base/"'
    ' xmlns:ob="http://dom.gosuslugi.ru/schema/integration/organizations-base/"'
    ' xmlns:ib="http://dom.gosuslugi.ru/schema/integration/individual-registry-base/"'
)
OPEN_ALL = f'<pay:importNotificationsOfOrderExecutionRequest {NS_ALL} base:version="10.0.1.1">'
SOAP_OPEN = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/><soap:Body>'
    '<importNotificationsOfOrderExecutionRequest xmlns="http://dom.gosuslugi.ru/schema/integration/payment/" '
    'xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" '
    'xmlns:pb="http://dom.gosuslugi.ru/schema/integration/payments-base/" '
    'xmlns:ab="http://dom.gosuslugi.ru/schema/integration/account-base/" '
    'xmlns:ob="http://dom.gosuslugi.ru/schema/integration/organizations-base/" '
    'xmlns:ib="http://dom.gosuslugi.ru/schema/integration/individual-registry-base/" base:version="10.0.1.1">'
)
SOAP_CLOSE = "</importNotificationsOfOrderExecutionRequest></soap:Body></soap:Envelope>"


def _rich_note(n: int, ident: str = "", extra: str = "", order: str = "", payer: str = "Сидорова") -> str:
    """A notification with a recipient, identification and a payer, pieces replaceable per test."""
    return (
        "<pay:NotificationOfOrderExecutionType><pb:RecipientInfo><ob:INN>77000000"
        f"{n % 100:02d}</ob:INN><pb:Entpr><ib:Surname>Петров</ib:Surname></pb:Entpr></pb:RecipientInfo>"
        f"<pb:OrderInfo>{order or f'<pb:OrderID>{n:032d}</pb:OrderID>'}<pb:OrderDate>2024-05-02</pb:OrderDate>"
        f"<pb:Amount>{100 + n}</pb:Amount>{ident or f'<ab:AccountNumber>{n:09d}</ab:AccountNumber>'}"
        "<base:Year>2024</base:Year><base:Month>4</base:Month><pb:AddressAndConsumer><pb:Ind>"
        f"<ib:Surname>{payer}</ib:Surname><ib:FirstName>Анна</ib:FirstName></pb:Ind></pb:AddressAndConsumer>"
        f"{extra}</pb:OrderInfo><base:TransportGUID>6f1c2a9e-0b0d-4c1e-9a55-{n:012d}</base:TransportGUID>"
        "</pay:NotificationOfOrderExecutionType>"
    )


def _streamed(path: Path, monkeypatch: pytest.MonkeyPatch, parser: GisXmlParser) -> list[Chunk] | BadFile:
    with monkeypatch.context() as patch:
        patch.setattr("parsers.gis_xml.probe", lambda path: None)
        return _outcome(parser, path)


def _outcome(parser: GisXmlParser, path: Path) -> list[Chunk] | BadFile:
    try:
        return list(parser.parse(path))
    except BadFile as exc:
        return exc


def _without_raw(outcome: list[Chunk] | BadFile) -> dict | str:
    if isinstance(outcome, BadFile):
        return outcome.reason
    got = _as_json(outcome)
    for record in got["payments"] + got["errors"]:
        record.pop("raw")
    got["sizes"] = [len(c.payments) + len(c.errors) for c in outcome]
    return got


def _same_as_streamed(path: Path, monkeypatch: pytest.MonkeyPatch, **options: object) -> list[Chunk] | BadFile:
    """Parse ``path`` in blocks (small ones: many cuts) and streamed; everything but raw must agree."""
    blocks = _outcome(GisXmlParser(block_bytes=256, **options), path)
    streamed = _streamed(path, monkeypatch, GisXmlParser(**options))
    assert _without_raw(blocks) == _without_raw(streamed)
    return blocks


NESTED_ORDER_ID = "<pb:OrderID>A<pb:OrderInfo><pb:OrderID>B</pb:OrderID></pb:OrderInfo></pb:OrderID>"
NESTED_AMOUNT = "<pb:OrderInfo><pb:Amount>7</pb:Amount></pb:OrderInfo>"
SIGNATURE = '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>'
VARIANTS = {
    "plain": lambda n: _rich_note(n),
    "pretty": lambda n: _rich_note(n).replace("><", ">\n    <"),
    "comment inside": lambda n: _rich_note(n, extra="<!-- note -->"),
    "comment in a value": lambda n: _rich_note(n, payer="Сидо<!-- x -->рова"),
    "cdata": lambda n: _rich_note(n, payer="<![CDATA[Сидорова & Co]]>"),
    "entities": lambda n: _rich_note(n, payer="Сидорова &amp; &quot;сын&quot; &lt;b&gt; &apos;"),
    "character reference": lambda n: _rich_note(n, payer="&#1057;идорова&#10;&lt;A&gt;"),
    "line breaks in a value": lambda n: _rich_note(n, payer="Сидорова\n<!---->\nАнна"),
    "greater-than in text": lambda n: _rich_note(n, payer="Сидорова > Анна"),
    "attribute": lambda n: _rich_note(n).replace("<pb:Entpr>", '<pb:Entpr kind="x>y">'),
    "blank in a tag": lambda n: _rich_note(n).replace("<pb:Amount>", "<pb:Amount >"),
    "blank in an end tag": lambda n: _rich_note(n).replace("</pb:Amount>", "</pb:Amount\n>"),
    "empty leaf": lambda n: _rich_note(n, ident="<ab:AccountNumber/>"),
    "empty notification": lambda n: "<pay:NotificationOfOrderExecutionType/>" if n % 3 == 1 else _rich_note(n),
    "two order ids": lambda n: _rich_note(n, order=f"<pb:OrderID>X{n}</pb:OrderID><pb:OrderID>{n:032d}</pb:OrderID>"),
    "leaf with an element": lambda n: _rich_note(n, order=f"<pb:OrderID>{n}<pb:X/>{n}</pb:OrderID>"),
    "leaf starting with an element": lambda n: _rich_note(n, order=f"<pb:OrderID><pb:X/>{n}</pb:OrderID>"),
    "nested field": lambda n: _rich_note(n, order=NESTED_ORDER_ID),
    "field under another parent": lambda n: _rich_note(n, extra="<pb:X><pb:OrderID>Z</pb:OrderID></pb:X>"),
    "nested order info": lambda n: _rich_note(n, extra=f"<pb:X>{NESTED_AMOUNT}</pb:X>"),
    "namespace declared inside": lambda n: (
        _rich_note(n)
        .replace("<pb:OrderInfo>", '<pb:OrderInfo xmlns:q="http://dom.gosuslugi.ru/schema/integration/base/">')
        .replace("<base:Year>2024</base:Year>", "<q:Year>2023</q:Year>")
    ),
    "payer tabs": lambda n: _rich_note(n, payer="\tСидорова\t"),
    "long value": lambda n: _rich_note(n, payer="я" * 3000),
    "signature between": lambda n: _rich_note(n) + (SIGNATURE if n % 4 == 2 else ""),
    "xml prefix": lambda n: _rich_note(n, extra="<xml:x>1</xml:x>"),
    "text between": lambda n: _rich_note(n) + "stray text",
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_blocks_agree_with_the_stream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variant: str) -> None:
    notes = [VARIANTS[variant](n) for n in range(12)]
    declaration = '<?xml version="1.0" encoding="UTF-8"?>\n'
    path = _write(tmp_path, declaration + OPEN_ALL + "\n" + "\n".join(notes) + "\n" + CLOSE)
    for chunk_rows in (5, 100):
        outcome = _same_as_streamed(path, monkeypatch, chunk_rows=chunk_rows)
        assert not isinstance(outcome, BadFile), outcome


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_soap_and_pretty_printed_blocks_agree_with_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crlf: bool
) -> None:
    notes = [_rich_note(n).replace("pay:", "").replace("><", ">\n  <") for n in range(30)]
    text = '<?xml version="1.0"?>\n' + SOAP_OPEN + "\n".join(notes) + SOAP_CLOSE + "\n"
    path = _write(tmp_path, text.replace("\n", "\r\n") if crlf else text)
    chunks = _same_as_streamed(path, monkeypatch, chunk_rows=7)
    assert sum(len(c.payments) for c in chunks) == 30  # type: ignore[union-attr]
    assert chunks[0].payments["line_no"].tolist()[:2] == [2, 3 + notes[0].count("\n")]  # type: ignore[index]


def test_plain_blocks_are_read_from_their_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain file never reaches the streaming reader, and raw is each notification's source."""
    notes = [_rich_note(n, payer="Сидорова &amp; сын") for n in range(50)]
    path = _write(tmp_path, OPEN_ALL + "\n" + "\n".join(notes) + "\n" + CLOSE)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("read the streaming way")

    monkeypatch.setattr(GisXmlParser, "_stream", refuse)
    for block_bytes in (256, 4096, 1 << 20):
        (chunk,) = _all(GisXmlParser(block_bytes=block_bytes), path)
        assert chunk.payments["raw"].tolist() == notes
        assert chunk.payments["line_no"].tolist() == list(range(2, 52))
        assert chunk.payments["payer"].iloc[0] == "Сидорова & сын Анна"


def test_lines_past_65535_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notes = [_note(f"{n:032d}") for n in range(3)]
    path = _write(tmp_path, OPEN + "\n" * 70_000 + "\n".join(notes) + "\n" * 70_000 + _note("F" * 32) + CLOSE)
    chunks = _same_as_streamed(path, monkeypatch)
    assert chunks[0].payments["line_no"].tolist() == [70_001, 70_002, 70_003, 140_003]  # type: ignore[index]


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda t: t.replace("<pb:Amount>105</pb:Amount>", "<pb:Amount>105</pb:Amont>"), "well-formed"),
        (lambda t: t.replace("<pb:OrderDate>", "<zz:OrderDate>", 1), "well-formed"),
        (lambda t: t.replace("<pb:OrderDate>2024-05-02</pb:OrderDate>", "<pb:a:b/>", 1), "well-formed"),
        (lambda t: t.replace("<pb:Amount>107</pb:Amount>", "<pb:Amount>\x01</pb:Amount>"), "well-formed"),
        (lambda t: t[: len(t) // 2], "well-formed"),
        (lambda t: t[:-30], "well-formed"),
        (lambda t: t.replace("<!--c-->", "<pb:X/>", 1), "unexpected element"),
        (lambda t: t.replace("ExecutionType>", "Execution139Type>", 2), "not supported"),
        (lambda t: t.replace("ExecutionType>", "Execution139Type>", 6).replace(
            "Execution139Type>", "ExecutionType>", 4), "another kind"),
        (lambda t: t.replace("</pb:OrderInfo>", "<pay:NotificationOfOrderExecutionType/></pb:OrderInfo>", 1),
         "outside"),
        (lambda t: t.replace("<!--c-->", "<!-- </pay:NotificationOfOrderExecutionType> -->"), None),
    ],
    ids=[
        "mismatched tag", "undeclared prefix", "two colons", "control character", "cut in half", "cut at the end",
        "stray element", "139 first", "139 later", "nested notification", "end tag in a comment",
    ],
)  # fmt: skip
def test_broken_blocks_agree_with_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: object, reason: str | None
) -> None:
    notes = [_rich_note(n) for n in range(10)]
    text = OPEN_ALL + "\n" + "\n<!--c-->".join(notes) + "\n" + CLOSE
    path = _write(tmp_path, damage(text))  # type: ignore[operator]
    outcome = _same_as_streamed(path, monkeypatch)
    if reason is None:
        assert not isinstance(outcome, BadFile)
    else:
        assert isinstance(outcome, BadFile) and reason in outcome.reason


def test_blocks_with_the_schema_agree_with_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xsd_dir: Path
) -> None:
    """Schema errors are per notification and name the file's line, whichever reader found them."""
    notes = [_rich_note(n) if n % 4 else _rich_note(n, ident="<ab:AccountNumber>1 2</ab:AccountNumber>")
             for n in range(20)]  # fmt: skip
    path = _write(tmp_path, OPEN_ALL + "\n" + "\n\n".join(notes) + "\n" + CLOSE)
    chunks = _same_as_streamed(path, monkeypatch, xsd_dir=xsd_dir, chunk_rows=6)
    errors = [e for c in chunks for e in c.errors]  # type: ignore[union-attr]
    assert errors and all(e.reason.startswith("XSD: line ") for e in errors)
    assert all(f"line {e.line_no}:" in e.reason or "line" in e.reason for e in errors)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.sampled_from(sorted(VARIANTS)), min_size=1, max_size=12),
       block_bytes=st.sampled_from([64, 700, 5000]), chunk_rows=st.integers(1, 7))  # fmt: skip
def test_mixed_files_agree_with_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pieces: list[str], block_bytes: int, chunk_rows: int
) -> None:
    notes = [VARIANTS[kind](n) for n, kind in enumerate(pieces)]
    path = _write(tmp_path, OPEN_ALL + "\n".join(notes) + CLOSE)
    blocks = _outcome(GisXmlParser(block_bytes=block_bytes, chunk_rows=chunk_rows), path)
    streamed = _streamed(path, monkeypatch, GisXmlParser(chunk_rows=chunk_rows))
    assert _without_raw(blocks) == _without_raw(streamed)


@given(st.text(st.sampled_from("0123-  \t\u00a0\u2007\u3000\x1cA9я"), max_size=12))
def test_vectorized_account_compaction_is_the_domain_rule(number: str) -> None:
    assert compact_accounts(pa.array([number, None])).to_pylist() == [compact_account(number), None]


def test_a_stretch_without_end_tags_is_streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No notification end tag within the longest block: the rest of the file is read the streaming way."""
    monkeypatch.setattr("parsers.gis_blocks.MAX_BLOCK_BYTES", 1024)
    notes = [_rich_note(n, payer="я" * (3000 if n == 5 else 10)) for n in range(12)]
    path = _write(tmp_path, OPEN_ALL + "\n" + "\n".join(notes) + "\n" + CLOSE)
    chunks = _same_as_streamed(path, monkeypatch, chunk_rows=4)
    assert [len(c.payments) for c in chunks] == [4, 4, 4, 0]  # type: ignore[union-attr]
