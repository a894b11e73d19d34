"""Bounded, inert outputs: text over Excel's cell limit is cut with a marker (XLSX and CSV), and every
cell a spreadsheet would take for a formula or an error literal is neutralised by one shared test
(``reports.xlsx.guarded``): quotePrefix in XLSX, a leading apostrophe in CSV; numbers stay numbers."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from reports.cells import CELL_LIMIT, CUT_MARKER, cut_text, fit_cells, guarded
from reports.run_report import RunReportData, write_run_report
from reports.statement_csv import CSV_ENCODING, CSV_HEADER, csv_lines, write_csv
from reports.xlsx_values import kopecks_text
from tests.test_reports_run import DAY, _discrepancies, _proposals, _registers, _tieout

MARKER_RE = re.compile(r"… \[обрезано символов: (\d+)\]$")

# (text, neutralised?)
PREFIXES = [
    ("=1+1", True),
    ('=HYPERLINK("http://evil","x")', True),
    ("+79001234567", True),
    ("-2+3", True),
    ("-ИВАНОВ", True),
    ("@SUM(A1)", True),
    ("\tTAB", True),
    ("\rCR", True),
    ("#N/A", True),
    ("#REF!", True),
    ("#DIV/0!", True),
    ("#VALUE!", True),
    ("#NAME?", True),
    ("#NUM!", True),
    ("#NULL!", True),
    ("#GETTING_DATA", True),
    ("#n/a", True),  # Excel takes the error literal in any case
    ("#Ref!", True),
    ("#N/A ИВАНОВ", True),  # begins with an error literal
    ("#5", False),  # a flat number, not an error literal
    ("#", False),
    ("# N/A", False),
    ("ИВАНОВ И.И.", False),
    ("000012345678", False),
    ("1234,56", False),
    ("a=b", False),
    ("a-b", False),
    (" =1", False),
    ("", False),
]


@pytest.mark.parametrize(("text", "hit"), PREFIXES)
def test_guarded_marks_every_formula_start_and_error_literal(text: str, hit: bool) -> None:
    assert guarded(pa.array([text, None])).to_pylist() == [hit, False]


# (text length, limit, expected cell length)
CUTS = [
    (50, 50, 50),  # exactly the limit: untouched
    (49, 50, 49),
    (51, 50, 50),  # one over: cut to exactly the limit, marker included
    (1000, 50, 50),
    (100_000, CELL_LIMIT, CELL_LIMIT),
    (CELL_LIMIT, CELL_LIMIT, CELL_LIMIT),
    (CELL_LIMIT + 1, CELL_LIMIT, CELL_LIMIT),
]


@pytest.mark.parametrize(("length", "limit", "expected"), CUTS)
def test_cut_fills_the_limit_and_counts_what_it_cut(length: int, limit: int, expected: int) -> None:
    text = "".join(chr(ord("а") + i % 32) for i in range(length))
    out = cut_text(text, limit)
    assert len(out) == expected
    if length <= limit:
        assert out == text
        return
    removed = int(MARKER_RE.search(out).group(1))  # type: ignore[union-attr]
    assert out == text[: length - removed] + CUT_MARKER.format(removed)


def test_cut_counts_utf16_units_and_never_splits_a_pair() -> None:
    text = "😀" * 20_000  # 40,000 UTF-16 units in 20,000 characters
    out = cut_text(text)
    assert len(out.encode("utf-16-le")) // 2 <= CELL_LIMIT
    removed = int(MARKER_RE.search(out).group(1))  # type: ignore[union-attr]
    assert out == "😀" * (20_000 - removed) + CUT_MARKER.format(removed)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=400), limit=st.integers(min_value=40, max_value=300))
def test_a_cut_cell_never_exceeds_the_limit_and_keeps_the_head(text: str, limit: int) -> None:
    out = cut_text(text, limit)
    if len(text.encode("utf-16-le")) <= 2 * limit:
        assert out == text
        return
    assert len(out.encode("utf-16-le")) // 2 <= limit
    removed = int(MARKER_RE.search(out).group(1))  # type: ignore[union-attr]
    assert 0 < removed <= len(text) and out == text[: len(text) - removed] + CUT_MARKER.format(removed)


def test_fit_cells_leaves_short_text_and_nulls_alone() -> None:
    values = pa.array(["ИВАНОВ", None, "x" * CELL_LIMIT, "y" * 40_000, ""])
    out = fit_cells(values).to_pylist()
    assert out[:3] == ["ИВАНОВ", None, "x" * CELL_LIMIT] and out[4] == ""
    assert len(out[3]) == CELL_LIMIT and MARKER_RE.search(out[3])
    short = pa.array(["a", "b"])
    assert fit_cells(short) is short  # nothing long: the column is not copied


def test_a_100000_character_raw_line_fits_the_nights_workbook(tmp_path: Path) -> None:
    discrepancies = _discrepancies()
    raw = "=" + "15-03-2026;10-27-38;8625;" * 4_000  # 100,001 characters, formula-like too
    discrepancies.loc[discrepancies["code"] == "MALFORMED_LINE", "raw"] = raw
    discrepancies.loc[discrepancies["code"] == "MALFORMED_LINE", "payer"] = "#REF!"
    xlsx, html = write_run_report(RunReportData(DAY, _registers(), _tieout(), discrepancies, _proposals()), tmp_path)
    ws = load_workbook(xlsx)["Нечитаемая строка"]
    head = [c.value for c in ws[1]]
    row = next(ws.iter_rows(min_row=2, max_row=2))
    cell = row[head.index("Исходная строка")]
    assert len(cell.value) == CELL_LIMIT
    removed = int(MARKER_RE.search(cell.value).group(1))  # type: ignore[union-attr]
    assert cell.value == raw[: len(raw) - removed] + CUT_MARKER.format(removed)
    assert cell.data_type == "s" and cell.quotePrefix  # still text, still guarded
    payer = row[head.index("Плательщик")]
    assert payer.value == "#REF!" and payer.data_type == "s" and payer.quotePrefix
    assert raw in html.read_text(encoding="utf-8")  # the page has no cell limit: the line whole


def test_csv_round_trip_neutralises_and_keeps_numbers(tmp_path: Path) -> None:
    texts = [t for t, _ in PREFIXES if t]
    n = len(texts)
    moves = pd.DataFrame(
        {
            "value_date": ["2026-03-16"] * n,
            "kind_ru": ["Сторно"] * n,
            "channel": ["sber"] * n,
            "operation_id": ["000123"] * n,
            "paid_date": ["2026-03-15"] * n,
            "account_raw": ["000012345678"] * n,
            "doc_uip": [None] * n,
            "payer": texts,
            "address": ["Г ИПАТОВО"] * (n - 1) + ["д" * 40_000],
            "service": ["ЖКУ"] * n,
            "amount": [-123456] * n,  # a reversal: a negative number, never prefixed
        }
    )
    path = tmp_path / "register.csv"
    write_csv(path, b"".join(csv_lines(moves).to_pylist()), n, -123456 * n)
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode(CSV_ENCODING), newline=""), delimiter=";"))
    assert rows[0] == CSV_HEADER
    body = rows[1:-1]
    assert len(body) == n
    for (text, hit), row in zip([p for p in PREFIXES if p[0]], body, strict=True):
        payer = row[CSV_HEADER.index("Плательщик")]
        assert payer == ("'" + text if hit else text), text
        assert row[-1] == "-1234,56"
    assert len(body[-1][CSV_HEADER.index("Адрес")]) == CELL_LIMIT
    assert MARKER_RE.search(body[-1][CSV_HEADER.index("Адрес")])
    assert rows[-1][0] == "ИТОГО" and rows[-1][-1] == kopecks_text(pd.Series([-123456 * n]), decimal=",")[0].as_py()
