"""Spreadsheet registers: every row of the first sheet is a payment, a counted non-payment or rejected.

The count on the other side is ``parsers.census.count_records`` (calamine's rows), which knows
nothing of the profile.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from domain.records import RecordKind
from parsers.census import count_records
from parsers.xlsx import XlsxRegisterParser
from tests.golden import check_golden, parsed_summary

DATA = Path(__file__).resolve().parent / "data" / "registers"
HEADER = ["Дата платежа", "Номер операции", "Лицевой счет", "Сумма", "Комиссия"]


@pytest.fixture(scope="module")
def parser() -> XlsxRegisterParser:
    """The built-in portal profile."""
    return XlsxRegisterParser.from_profile("xlsx_portal")


def accounted(parser: XlsxRegisterParser, path: Path) -> tuple[int, Counter[str], list]:
    """Payments, non-payments by kind and rejected rows; asserts they add up to the census count."""
    chunks = list(parser.parse(path))
    payments = sum(len(c.payments) for c in chunks)
    kinds: Counter[str] = Counter()
    for chunk in chunks:
        kinds.update(chunk.non_payments)
    errors = [e for c in chunks for e in c.errors]
    assert payments + sum(kinds.values()) + len(errors) == count_records(path)
    assert set(kinds) <= {k.value for k in RecordKind}
    return payments, kinds, errors


def _book(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_sample_every_row_accounted(parser: XlsxRegisterParser) -> None:
    sample = DATA / "xlsx_portal.xlsx"
    payments, kinds, errors = accounted(parser, sample)
    assert payments == 4 and len(errors) == 2
    assert kinds == {"title": 2, "blank": 3, "header": 1, "totals": 1, "note": 1}
    check_golden(parsed_summary(parser, sample), sample)


def test_payment_above_the_header_is_rejected_not_a_title(parser: XlsxRegisterParser, tmp_path: Path) -> None:
    rows = [
        ["Реестр платежей за 20.11.2026"],
        [dt.date(2026, 11, 20), "9", "0999", 900.0, 0.0],  # a payment where a title is expected
        [],
        HEADER,
        [dt.date(2026, 11, 20), "1", "01", 100.0, 1.0],
        ["Итого", None, None, 100.0, 1.0],
    ]
    payments, kinds, errors = accounted(parser, _book(tmp_path / "r.xlsx", rows))
    assert payments == 1 and kinds == {"title": 1, "blank": 1, "header": 1, "totals": 1}
    (error,) = errors
    assert (error.line_no, error.reason, error.amount) == (2, "payment row above the header row", 90000)


def test_column_numbers_blanks_and_notes(parser: XlsxRegisterParser, tmp_path: Path) -> None:
    rows = [
        HEADER,
        [1, 2, 3, 4, 5],  # column numbers under the header
        [dt.date(2026, 11, 20), "1", "01", 100.0, 1.0],
        [],
        [dt.date(2026, 11, 20), "2", "02", 50.0, 0.5],
        ["Итого", None, None, 150.0, 1.5],
        [],
        ["К перечислению", None, None, 148.5],
        ["Исполнитель ____"],
        ["21.11.2026", "3", "03", "10,00"],  # a text-dated payment after the totals
    ]
    payments, kinds, errors = accounted(parser, _book(tmp_path / "r.xlsx", rows))
    assert payments == 2
    assert kinds == {"header": 1, "column_numbers": 1, "blank": 2, "totals": 1, "note": 2}
    assert [(e.line_no, e.amount) for e in errors] == [(10, 1000)]


def test_numbers_that_are_data_are_not_column_numbers(parser: XlsxRegisterParser, tmp_path: Path) -> None:
    rows = [HEADER, [1, 2, 3, 5, 4], ["Итого", None, None, 0.0]]
    payments, kinds, errors = accounted(parser, _book(tmp_path / "r.xlsx", rows))
    assert "column_numbers" not in kinds and len(errors) == 1 and payments == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    titles=st.lists(st.sampled_from(["title", "blank", "payment"]), max_size=6),
    body=st.lists(st.sampled_from(["payment", "blank", "bad"]), max_size=8),
    tail=st.lists(st.sampled_from(["note", "blank", "payment"]), max_size=4),
    numbers=st.booleans(),
)
def test_no_row_and_no_payment_disappears(
    parser: XlsxRegisterParser, tmp_path: Path, titles: list[str], body: list[str], tail: list[str], numbers: bool
) -> None:
    made = {"title": ["Реестр платежей"], "blank": [], "bad": ["вчера", "1", "01", 5.0],
            "note": ["Подпись"]}  # fmt: skip
    rows: list[list[object]] = []
    written = 0  # kopecks of every payment-looking row
    for i, kind in enumerate(titles + ["header"] + (["numbers"] if numbers else []) + body + ["totals"] + tail):
        if kind == "payment":
            rows.append([dt.date(2026, 11, 20), str(i), f"{i:03d}", float(i + 1), 0.0])
            written += (i + 1) * 100
        elif kind == "header":
            rows.append(HEADER)
        elif kind == "numbers":
            rows.append([1, 2, 3, 4, 5])
        elif kind == "totals":
            rows.append(["Итого", None, None, 0.0])
        else:
            rows.append(made[kind])
    path = _book(tmp_path / "h.xlsx", rows)
    chunks = list(parser.parse(path))
    accounted(parser, path)
    posted = sum(int(c.payments["amount"].sum()) for c in chunks)
    rejected = sum(e.amount or 0 for c in chunks for e in c.errors if e.reason != "date unreadable: 'вчера'")
    assert posted + rejected == written
