"""Spreadsheet containers told from content: XLSX, ODS, legacy XLS (BIFF8) and an HTML table named .xls.

Samples are made by ``tests/data/registers/make_sheet_samples.py`` (committed); each has a golden
file beside it (``tests/golden.py``). All are read with the same profile.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from parsers.base import BadFile, read_head
from parsers.census import count_records
from parsers.xlsx import XlsxRegisterParser
from tests.golden import check_golden, parsed_summary
from tests.test_parsers_sheet_accounting import accounted

DATA = Path(__file__).resolve().parent / "data" / "registers"
SAMPLES = ["sheet_portal_biff8.xls", "sheet_portal.ods", "sheet_portal_html.xls"]


@pytest.fixture(scope="module")
def parser() -> XlsxRegisterParser:
    """The built-in portal profile."""
    return XlsxRegisterParser.from_profile("xlsx_portal")


@pytest.mark.parametrize("name", SAMPLES)
def test_golden_per_container(parser: XlsxRegisterParser, name: str) -> None:
    sample = DATA / name
    assert parser.identify(sample, read_head(sample))
    summary = parsed_summary(parser, sample)
    check_golden(summary, sample)
    payments, kinds, errors = accounted(parser, sample)
    assert (payments, len(errors)) == (3, 1)
    assert kinds == {"title": 1, "blank": 1, "header": 1, "totals": 1, "note": 1}


def test_containers_read_alike(parser: XlsxRegisterParser) -> None:
    summaries = [parsed_summary(parser, DATA / name) for name in SAMPLES]
    assert summaries[0]["payments"] == summaries[1]["payments"] == summaries[2]["payments"]
    assert summaries[0]["declared"] == summaries[1]["declared"] == summaries[2]["declared"]


@pytest.mark.parametrize(
    ("source", "disguise"),
    [("sheet_portal_biff8.xls", "register.xlsx"), ("xlsx_portal.xlsx", "register.xls"),
     ("sheet_portal.ods", "register.xlsx"), ("sheet_portal_html.xls", "register.txt")],
)  # fmt: skip
def test_the_name_does_not_choose_the_reader(
    parser: XlsxRegisterParser, tmp_path: Path, source: str, disguise: str
) -> None:
    path = tmp_path / disguise
    shutil.copy(DATA / source, path)
    assert parser.identify(path, read_head(path))
    chunks = list(parser.parse(path))
    assert sum(len(c.payments) for c in chunks) >= 3
    assert count_records(path) == count_records(DATA / source)


def test_html_page_without_a_table_is_refused(parser: XlsxRegisterParser) -> None:
    page = DATA / "sheet_html_page.xls"
    assert not parser.identify(page, read_head(page))
    assert "this is an HTML page, not an Excel workbook" in parser.explain(page)
    with pytest.raises(BadFile, match="this is an HTML page, not an Excel workbook"):
        list(parser.parse(page))


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"15-03-2026;10-27-38;8625;1;000012345678;100,00\n", "content is text"),
     (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "not a readable XLS workbook")],
    ids=["text", "broken-ole2"],
)  # fmt: skip
def test_what_is_not_a_spreadsheet(parser: XlsxRegisterParser, tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "register.xls"
    path.write_bytes(content)
    assert not parser.identify(path, read_head(path))
    assert reason in parser.explain(path)
    with pytest.raises(BadFile, match=reason):
        list(parser.parse(path))
