"""Every ГИС ЖКХ notification is accounted for: payments + non-payments + rejected equals the
independent count of ``parsers.census`` (notification start tags), for every file the parser reads,
whichever of its readers (blocks or streaming) reads it and however it is chunked."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.base import BadFile
from parsers.census import count_records, xml_notifications
from parsers.gis_xml import GisXmlParser
from tests.gisutil import CLOSE, OPEN, note, parse_all, write

DATA = Path(__file__).resolve().parent / "data"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
OPEN_X = OPEN.replace(">", ' xmlns:x="urn:x">', 1)  # a foreign prefix declared on the request


def _xml_samples(root: Path) -> list[Path]:
    """The XML files under ``root`` that hold notifications."""
    return sorted(p for p in root.rglob("*.xml") if p.is_file() and xml_notifications(p) > 0)


def accounted(parser: GisXmlParser, path: Path) -> tuple[int, int, dict[str, int]]:
    """``(payments, rejected, non-payments by kind)`` of a file, summed over its chunks."""
    payments = rejected = 0
    kinds: dict[str, int] = {}
    for chunk in parse_all(parser, path):
        payments += len(chunk.payments)
        rejected += len(chunk.errors)
        for kind, count in chunk.non_payments.items():
            kinds[kind] = kinds.get(kind, 0) + count
    return payments, rejected, kinds


def _holds(parser: GisXmlParser, path: Path) -> tuple[int, int, dict[str, int]]:
    payments, rejected, kinds = accounted(parser, path)
    assert payments + rejected + sum(kinds.values()) == count_records(path), (path.name, payments, rejected, kinds)
    return payments, rejected, kinds


def _parsers(xsd_dir: Path | None) -> list[GisXmlParser]:
    """The block reader as configured, tiny blocks and chunks, and (with the XSD) validating."""
    found = [GisXmlParser(), GisXmlParser(block_bytes=64, chunk_rows=1)]
    if xsd_dir is not None:
        found += [GisXmlParser(xsd_dir), GisXmlParser(xsd_dir, block_bytes=64, chunk_rows=2)]
    return found


@pytest.mark.parametrize("sample", _xml_samples(DATA), ids=lambda p: str(p.relative_to(DATA)))
def test_every_sample_in_tests_data(sample: Path, xsd_dir: Path) -> None:
    for parser in _parsers(xsd_dir):
        _holds(parser, sample)


def test_every_shared_sample(samples_dir: Path, xsd_dir: Path) -> None:
    # The shared samples hold the XSD bundle (no notifications) today; any message added there is read too.
    for sample in _xml_samples(samples_dir):
        for parser in _parsers(xsd_dir):
            _holds(parser, sample)


def test_the_samples_are_here() -> None:
    names = {p.name for p in _xml_samples(DATA)}
    assert {"gis_notifications.xml", "gis_notifications_soap.xml"} <= names


def _in(where: str, inner: str) -> str:
    return note().replace("<pb:OrderInfo>", where.format(inner) + "<pb:OrderInfo>")


# (case, file text, expected (payments, rejected, non-payments) without the XSD)
CASES = [
    ("plain", OPEN + note("A" * 32) + note("B" * 32) + CLOSE, (2, 0, {})),
    ("rejected notifications", OPEN + note(amount="1.5") + note(amount="") + note() + CLOSE, (1, 2, {})),
    ("an empty notification", OPEN + "<pay:NotificationOfOrderExecutionType/>" + note() + CLOSE, (1, 1, {})),
    ("commented out between two", OPEN + note("A" * 32) + f"<!-- {note('D' * 32)} -->" + note("E" * 32) + CLOSE,
     (2, 0, {"comment": 1})),
    ("commented out before the request", f"<!--{note()}{note()}-->" + OPEN + note() + CLOSE, (1, 0, {"comment": 2})),
    ("commented out inside a notification", OPEN + _in("<!--{}-->", note("Q" * 32)) + CLOSE, (1, 0, {"comment": 1})),
    ("commented out after the request", OPEN + note() + CLOSE + f"<!-- {note()} -->", (1, 0, {"comment": 1})),
    ("in a processing instruction", OPEN + note() + f"<?keep {note('Y' * 32)}?>" + CLOSE, (1, 0, {"comment": 1})),
    ("as text in a CDATA section", OPEN + note(purpose=f"<![CDATA[{note('Z' * 32)}]]>") + CLOSE, (1, 1, {})),
    ("a comment without one", OPEN + note() + "<!-- NotificationOfOrderExecutionType -->" + note() + CLOSE,
     (2, 0, {})),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_records_add_up(tmp_path: Path, case: str, text: str, expected: tuple) -> None:
    path = write(tmp_path, DECLARATION + text)
    for parser in _parsers(None):
        assert _holds(parser, path) == expected, case


def test_a_cdata_tag_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, DECLARATION + OPEN + "\n" + note(purpose=f"<![CDATA[\n{note('Z' * 32)}]]>") + CLOSE)
    (error,) = [e for c in parse_all(GisXmlParser(), path) for e in c.errors]
    assert (error.line_no, error.amount) == (4, None)
    assert "CDATA" in error.reason and error.raw.startswith("<pay:NotificationOfOrderExecutionType>")


def test_without_a_declaration(tmp_path: Path) -> None:
    """The XML declaration is optional: the census still counts notifications, not text lines."""
    path = write(tmp_path, OPEN + note("A" * 32) + note("B" * 32) + CLOSE)
    assert count_records(path) == 2
    _holds(GisXmlParser(), path)


# Notifications the reader cannot take as records of this schema: the file is refused whole,
# naming the element (they used to be skipped unseen by one reader or the other).
REFUSED = [
    ("another namespace after the last", OPEN_X + note() + "<x:NotificationOfOrderExecutionType/>" + CLOSE,
     "{urn:x}NotificationOfOrderExecutionType is not a notification of the payment namespace"),
    ("another namespace inside one", OPEN_X + _in("{}", "<x:NotificationOfOrderExecutionType/>") + note() + CLOSE,
     "{urn:x}NotificationOfOrderExecutionType is not a notification of the payment namespace"),
    ("another namespace declared inside", OPEN + _in("{}", '<y:NotificationOfOrderExecutionType xmlns:y="urn:y"/>')
     + CLOSE, "{urn:y}NotificationOfOrderExecutionType is not a notification"),
    ("no namespace inside one", OPEN + _in("{}", "<NotificationOfOrderExecutionType/>") + CLOSE,
     "NotificationOfOrderExecutionType is not a notification of the payment namespace"),
    ("another element after the last", OPEN + note() + "<pay:Other/>" + CLOSE,
     "unexpected element {http://dom.gosuslugi.ru/schema/integration/payment/}Other"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "reason"), REFUSED, ids=[c[0] for c in REFUSED])
def test_notifications_it_cannot_read_refuse_the_file(tmp_path: Path, case: str, text: str, reason: str) -> None:
    path = write(tmp_path, DECLARATION + text)
    for parser in _parsers(None):
        with pytest.raises(BadFile) as info:
            parse_all(parser, path)
        assert reason in info.value.reason, (case, info.value.reason)


PIECES = {
    "payment": lambda i: note(f"{i:032d}"),
    "bad amount": lambda i: note(f"{i:032d}", amount="12,5"),
    "no order id": lambda i: note(""),
    "empty": lambda i: "<pay:NotificationOfOrderExecutionType/>",
    "commented": lambda i: f"<!--{note(f'{i:032d}')}-->",
    "in cdata": lambda i: note(f"{i:032d}", purpose=f"<![CDATA[{note()}]]>"),
    "in a pi": lambda i: f"<?p {note()}?>",
    "blank": lambda i: "\n  \n",
    "comment": lambda i: "<!-- nothing -->",
    "attribute": lambda i: note(f"{i:032d}").replace("Type>", 'Type Id="n">', 1),
}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pieces=st.lists(st.sampled_from(sorted(PIECES)), min_size=1, max_size=25),
    block=st.sampled_from([64, 256, 4096, 1 << 20]),
    chunk=st.integers(1, 7),
    declared=st.booleans(),
)
def test_any_mix_adds_up(tmp_path: Path, pieces: list[str], block: int, chunk: int, declared: bool) -> None:
    body = "".join(PIECES[name](i) + "\n" for i, name in enumerate(pieces))
    path = write(tmp_path, (DECLARATION if declared else "") + OPEN + "\n" + body + CLOSE + "\n")
    try:
        _holds(GisXmlParser(block_bytes=block, chunk_rows=chunk), path)
    except BadFile as exc:  # a file of nothing but comments has no notification to read
        assert "no NotificationOfOrderExecutionType" in exc.reason
        assert not {"payment", "bad amount", "no order id", "empty", "in cdata", "attribute"} & set(pieces)
