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
from parsers.sheet_head import html_head
from parsers.sheet_source import head_rows, html_table, sheet_kind, sheet_rows
from parsers.xlsx import XlsxRegisterParser
from parsers.zipguard import ZipLimits
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


@pytest.mark.parametrize(
    "sample", ["sheet_portal.ods", "sheet_portal_html.xls", "../corpus/gazprombank/web_export.xls"]
)
def test_the_head_read_alone_is_the_sheet_s_head(sample: str) -> None:
    # identify and explain read ODS and HTML only as far as the header search needs (parsers.sheet_head)
    path = DATA / sample
    kind = sheet_kind(path, read_head(path))
    whole = list(sheet_rows(path, kind, ZipLimits()))
    for count in (1, 3, len(whole) + 5):
        head = head_rows(path, kind, count)
        assert list(map(_trimmed, head)) == list(map(_trimmed, whole[:count]))


def _trimmed(row: list[object]) -> list[object]:
    end = len(row)
    while end and row[end - 1] == "":
        end -= 1
    return row[:end]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1251"])
def test_an_html_page_without_a_charset_is_read_in_its_encoding(tmp_path: Path, encoding: str) -> None:
    page = "<html><body><table><tr><th>Дата платежа</th><th>Лицевой счёт</th><th>Сумма</th></tr>"
    page += "<tr><td>20.11.2026</td><td>0012</td><td>100,00</td></tr></table></body></html>"
    path = tmp_path / "r.xls"
    path.write_bytes(page.encode(encoding))
    for rows in (html_table(path), html_head(path, 5)):
        assert rows is not None and rows[0] == ["Дата платежа", "Лицевой счёт", "Сумма"]
