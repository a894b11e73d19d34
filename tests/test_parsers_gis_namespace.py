"""ГИС ЖКХ messages of another namespace or version: claimed, then refused naming what was found
and what was expected (a bare "not a register" would leave the accountant guessing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.base import BadFile, read_head
from parsers.gis_xml import GisXmlParser
from tests.gisutil import CLOSE, NS, OPEN, SOAP, note, parse_all, write

EXPECTED = "expected namespace 'http://dom.gosuslugi.ru/schema/integration/payment/'"
OLD_NS = "http://dom.gosuslugi.ru/schema/integration/8.5.0.2/payment/"
SOAP_TEXT = SOAP.read_text(encoding="utf-8")
NS_DEFAULT = 'xmlns="http://dom.gosuslugi.ru/schema/integration/payment/"'


def _old(text: str) -> str:
    """``text`` with the payment namespace of an older release (its version in the URI)."""
    return text.replace("http://dom.gosuslugi.ru/schema/integration/payment/", OLD_NS)


# (case, file text, reason fragments; None: read)
CASES = [
    ("this release", OPEN + note() + CLOSE, None),
    ("no base:version", OPEN.replace(' base:version="10.0.1.1"', "") + note() + CLOSE, None),
    ("older release: version in the namespace", _old(OPEN + note() + CLOSE),
     [f"namespace {OLD_NS!r}", EXPECTED]),
    ("older release in a SOAP envelope", _old(SOAP_TEXT), [f"namespace {OLD_NS!r}", EXPECTED]),
    ("another namespace", '<x:importNotificationsOfOrderExecutionRequest xmlns:x="urn:other"/>',
     ["namespace 'urn:other'", EXPECTED]),
    ("prefix bound elsewhere",
     f'<a:importNotificationsOfOrderExecutionRequest xmlns:a="urn:other" {NS}>{note()}'
     "</a:importNotificationsOfOrderExecutionRequest>", ["namespace 'urn:other'", EXPECTED]),
    ("no namespace",
     f"<importNotificationsOfOrderExecutionRequest {NS}>{note()}</importNotificationsOfOrderExecutionRequest>",
     ["in no namespace", EXPECTED]),
    ("same namespace, older base:version", OPEN.replace("10.0.1.1", "8.5.0.2") + note() + CLOSE,
     ["base:version '8.5.0.2'", "expected '10.0.1.1'", "14.4.0.1"]),
    ("SOAP, older base:version", SOAP_TEXT.replace('base:version="10.0.1.1"', 'base:version="11.2.0.1"'),
     ["base:version '11.2.0.1'", "expected '10.0.1.1'"]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "reason"), CASES, ids=[c[0] for c in CASES])
def test_namespace_and_version(tmp_path: Path, case: str, text: str, reason: list[str] | None) -> None:
    path = write(tmp_path, text)
    parser = GisXmlParser()
    assert parser.identify(path, read_head(path)), case  # claimed: the parser says what is wrong
    if reason is None:
        assert sum(len(c.payments) for c in parse_all(parser, path)) == 1
        return
    with pytest.raises(BadFile) as info:
        parse_all(parser, path)
    for fragment in reason:
        assert fragment in info.value.reason, info.value.reason


def test_default_namespace_sample_is_read(tmp_path: Path) -> None:
    assert NS_DEFAULT in SOAP_TEXT  # the SOAP sample binds the payment namespace as the default one
    assert sum(len(c.payments) for c in parse_all(GisXmlParser(), SOAP)) == 2
