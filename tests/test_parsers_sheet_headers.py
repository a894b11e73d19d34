"""Spreadsheet headers: normalisation, units, two-row headers, kopeck columns, and profile validation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from parsers.xlsx import XlsxRegisterParser
from parsers.xlsx_profile import ProfileError, header_key
from parsers.xlsx_profile_load import load_profile
from tests.test_parsers_sheet_accounting import accounted

PROFILE = Path(__file__).resolve().parents[1] / "parsers" / "dialects" / "xlsx_portal.yaml"


@pytest.mark.parametrize(
    ("text", "key", "unit"),
    [
        ("Сумма", "сумма", None),
        ("Сумма, руб.", "сумма", "rub"),
        ("Сумма (руб.)", "сумма", "rub"),
        ("СУММА руб", "сумма", "rub"),
        ("Сумма,\nруб.", "сумма", "rub"),
        ("Сумма\u00a0платежа,  руб.", "сумма платежа", "rub"),
        ("Сумма в рублях", "сумма", "rub"),
        ("Сумма, коп.", "сумма", "kop"),
        ("Сумма (руб., коп.)", "сумма", "rub"),
        ("Лицевой счёт", "лицевой счет", None),
        ("Л/С", "л с", None),
        ("№ операции", "№ операции", None),
        ("руб.", "руб", None),  # a unit alone names nothing; it stays its own key
    ],
)
def test_header_key(text: str, key: str, unit: str | None) -> None:
    assert header_key(text) == (key, unit)


def _parse(tmp_path: Path, rows: list[list[object]]) -> tuple:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "r.xlsx"
    book.save(path)
    parser = XlsxRegisterParser.from_profile("xlsx_portal")
    chunks = list(parser.parse(path))
    _, kinds, errors = accounted(parser, path)
    return chunks[-1], kinds, errors


PAY = [dt.date(2026, 11, 20), "7", "0123", 1500.0, 15.0]


@pytest.mark.parametrize(
    "header",
    [
        [["Дата\nплатежа", "№\u00a0операции", "Лицевой  счёт", "Сумма, руб.", "Комиссия (руб.)"]],
        [["Дата платежа", "Номер операции", "Лицевой счет", "Сумма", "Комиссия"], ["", "", "", "руб.", "руб."]],
        [["Дата платежа", "Номер операции", "Лицевой счет", "Платёж", ""], ["", "", "", "Сумма", "Комиссия"]],
    ],
    ids=["one-row-with-units", "units-in-a-second-row", "group-header"],
)
def test_headers_that_name_the_columns(tmp_path: Path, header: list[list[object]]) -> None:
    chunk, kinds, errors = _parse(tmp_path, [["Реестр"], *header, PAY, ["Итого", None, None, 1500.0, 15.0]])
    assert chunk.payments["amount"].tolist() == [150000] and chunk.payments["commission"].tolist() == [1500]
    assert kinds["header"] == len(header) and kinds["title"] == 1 and not errors


def test_kopeck_columns(tmp_path: Path) -> None:
    header = ["Дата платежа", "Номер операции", "Лицевой счет", "Сумма, коп.", "Комиссия, коп."]
    rows = [header, [dt.date(2026, 11, 20), "1", "01", 150000, 1500], [dt.date(2026, 11, 20), "2", "02", "12 345", 0],
            [dt.date(2026, 11, 20), "3", "03", 10.5, 0], ["Итого", None, None, 162345, 1500]]  # fmt: skip
    chunk, _, errors = _parse(tmp_path, rows)
    assert chunk.payments["amount"].tolist() == [150000, 12345]
    assert chunk.declared.amount == 162345 and chunk.declared.commission == 1500
    (error,) = errors
    assert error.reason == "amount is not a whole number of kopecks: 10.5" and error.amount is None


def test_kopecks_in_a_second_header_row(tmp_path: Path) -> None:
    rows = [["Дата платежа", "Номер операции", "Лицевой счет", "Сумма"], ["", "", "", "коп."],
            [dt.date(2026, 11, 20), "1", "01", 9900], ["Итого", None, None, 9900]]  # fmt: skip
    chunk, kinds, _ = _parse(tmp_path, rows)
    assert chunk.payments["amount"].tolist() == [9900] and kinds["header"] == 2


def _profile(tmp_path: Path, old: str, new: str) -> Path:
    text = PROFILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bank.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "key", "line"),
    [
        ("amount: [Сумма,", "amount: [Сумма, руб., Итог,", "columns.amount", 22),
        ("header_search_rows: 30", "header_search_rows: тридцать", "header_search_rows", 10),
        ("header_search_rows: 30", "header_lines: 3", "header_lines", 10),
        ("  els:", "  ls:", "columns.ls", 17),
        ("  payer: [ФИО,", "  payer: [Лицевой счет, ФИО,", "columns.payer", 19),
        ("  required: true", "  required: yes please", "totals.required", 28),
        ("  max_ratio: 200", "  max_ration: 200", "zip.max_ration", 31),
    ],
    ids=["flow-style-fragment", "wrong-type", "unknown-key", "unknown-field", "alias-twice", "bool", "zip-key"],
)
def test_profile_errors_name_file_key_and_line(tmp_path: Path, old: str, new: str, key: str, line: int) -> None:
    path = _profile(tmp_path, old, new)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert (info.value.source, info.value.key, info.value.line) == (str(path), key, line)
    assert str(path) in str(info.value) and key in str(info.value)


def test_a_quoted_name_with_its_unit_is_one_alias(tmp_path: Path) -> None:
    profile = load_profile(_profile(tmp_path, "amount: [Сумма,", "amount: ['Сумма, руб.', Оплачено,"))
    assert profile.aliases["сумма"] == "amount" and profile.names["amount"][:2] == ("Сумма, руб.", "Оплачено")
