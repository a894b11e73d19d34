"""The ГИС ЖКХ XML parser's block reader (blocks cut from the file's bytes and read in parallel)
against the streaming reader: every kind of notification, SOAP and pretty-printed files, broken
blocks, the schema, mixed files — everything but the raw text must agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.base import BadFile, Chunk
from parsers.gis_xml import GisXmlParser
from tests.gisutil import CLOSE, NS, OPEN, as_json, note, parse_all, write

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
    got = as_json(outcome)
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
    path = write(tmp_path, declaration + OPEN_ALL + "\n" + "\n".join(notes) + "\n" + CLOSE)
    for chunk_rows in (5, 100):
        outcome = _same_as_streamed(path, monkeypatch, chunk_rows=chunk_rows)
        assert not isinstance(outcome, BadFile), outcome


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_soap_and_pretty_printed_blocks_agree_with_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crlf: bool
) -> None:
    notes = [_rich_note(n).replace("pay:", "").replace("><", ">\n  <") for n in range(30)]
    text = '<?xml version="1.0"?>\n' + SOAP_OPEN + "\n".join(notes) + SOAP_CLOSE + "\n"
    path = write(tmp_path, text.replace("\n", "\r\n") if crlf else text)
    chunks = _same_as_streamed(path, monkeypatch, chunk_rows=7)
    assert sum(len(c.payments) for c in chunks) == 30  # type: ignore[union-attr]
    assert chunks[0].payments["line_no"].tolist()[:2] == [2, 3 + notes[0].count("\n")]  # type: ignore[index]


def test_plain_blocks_are_read_from_their_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain file never reaches the streaming reader, and raw is each notification's source."""
    notes = [_rich_note(n, payer="Сидорова &amp; сын") for n in range(50)]
    path = write(tmp_path, OPEN_ALL + "\n" + "\n".join(notes) + "\n" + CLOSE)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("read the streaming way")

    monkeypatch.setattr(GisXmlParser, "_stream", refuse)
    for block_bytes in (256, 4096, 1 << 20):
        (chunk,) = parse_all(GisXmlParser(block_bytes=block_bytes), path)
        assert chunk.payments["raw"].tolist() == notes
        assert chunk.payments["line_no"].tolist() == list(range(2, 52))
        assert chunk.payments["payer"].iloc[0] == "Сидорова & сын Анна"


def test_lines_past_65535_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notes = [note(f"{n:032d}") for n in range(3)]
    path = write(tmp_path, OPEN + "\n" * 70_000 + "\n".join(notes) + "\n" * 70_000 + note("F" * 32) + CLOSE)
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
    path = write(tmp_path, damage(text))  # type: ignore[operator]
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
    path = write(tmp_path, OPEN_ALL + "\n" + "\n\n".join(notes) + "\n" + CLOSE)
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
    path = write(tmp_path, OPEN_ALL + "\n".join(notes) + CLOSE)
    blocks = _outcome(GisXmlParser(block_bytes=block_bytes, chunk_rows=chunk_rows), path)
    streamed = _streamed(path, monkeypatch, GisXmlParser(chunk_rows=chunk_rows))
    assert _without_raw(blocks) == _without_raw(streamed)


def test_a_stretch_without_end_tags_is_streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No notification end tag within the longest block: the rest of the file is read the streaming way."""
    monkeypatch.setattr("parsers.gis_blocks.MAX_BLOCK_BYTES", 1024)
    notes = [_rich_note(n, payer="я" * (3000 if n == 5 else 10)) for n in range(12)]
    path = write(tmp_path, OPEN_ALL + "\n" + "\n".join(notes) + "\n" + CLOSE)
    chunks = _same_as_streamed(path, monkeypatch, chunk_rows=4)
    assert [len(c.payments) for c in chunks] == [4, 4, 4, 0]  # type: ignore[union-attr]
