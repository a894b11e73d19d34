"""Spreadsheet diagnostics: a file the profile does not read says what was looked for and what came closest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from parsers.base import BadFile, read_head
from parsers.xlsx import XlsxRegisterParser

HEADER = ["№ п/п", "Дата платежа", "Лицевой счет", "ФИО", "Адрес", "Оплачено, руб."]


@pytest.fixture(scope="module")
def parser() -> XlsxRegisterParser:
    """The built-in portal profile."""
    return XlsxRegisterParser.from_profile("xlsx_portal")


def _book(tmp_path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "r.xlsx"
    book.save(path)
    return path


def test_no_amount_column_names_the_closest_row(parser: XlsxRegisterParser, tmp_path: Path) -> None:
    rows = [["Реестр платежей"], ["Агент: банк"], [], HEADER, [1, dt.date(2026, 11, 20), "01", "И", "А", 5.0]]
    path = _book(tmp_path, rows)
    assert not parser.identify(path, read_head(path))
    why = parser.explain(path)
    assert why == (
        "no header row with the columns paid_date, account_raw, amount in rows 1–5 of the first sheet; "
        "row 4 has: № п/п, Дата платежа, Лицевой счет, ФИО, Адрес, Оплачено, руб.; "
        "amount: expected one of: Сумма, Сумма платежа, Сумма оплаты"
    )
    with pytest.raises(BadFile) as info:
        list(parser.parse(path))
    assert info.value.reason == why


def test_header_below_the_search_rows(parser: XlsxRegisterParser, tmp_path: Path) -> None:
    rows = [[f"строка {i}"] for i in range(31)] + [["Дата", "ЛС", "Сумма"]]
    why = parser.explain(_book(tmp_path, rows))
    assert why.startswith("no header row with the columns paid_date, account_raw, amount in rows 1–30 ")
    assert "row 1 has: строка 0; paid_date: expected one of: Дата платежа, Дата оплаты, Дата операции, Дата" in why


def test_long_rows_are_cut_and_an_identified_file_needs_no_explanation(
    parser: XlsxRegisterParser, tmp_path: Path
) -> None:
    wide = [f"Колонка {i}" for i in range(20)]
    assert "Колонка 11, …;" in parser.explain(_book(tmp_path, [wide]))
    good = _book(tmp_path, [["Дата", "ЛС", "Сумма"], [dt.date(2026, 1, 1), "1", 1.0], ["Итого", None, 1.0]])
    assert parser.explain(good) == ""


def test_empty_sheet(parser: XlsxRegisterParser, tmp_path: Path) -> None:
    why = parser.explain(_book(tmp_path, [[], [None, ""]]))
    assert why == "no header row with the columns paid_date, account_raw, amount: the first sheet is empty"
