"""An accountant's workbook never raises on its content: a bad row is a row error with a Russian
reason, the good rows are still read; a file that is no readable resolutions workbook is refused
whole with a reason (``read_book``), whatever its bytes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from domain.identifiers.row_id import MAX_ROW_ID
from reports.resolutions import ResolutionRequest, read_book, read_resolutions

HEADER = ["ID платежа", "Верный ЛС или УИП", "Кто решил"]


def _book(path: Path, rows: list[list[object]], header: list[str] = HEADER, title: str = "Не найден ПД") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


BAD_IDS = [
    (99999999999999999999, "вне допустимого диапазона"),  # twenty nines: OverflowError on SQLite before
    ("99999999999999999999", "вне допустимого диапазона"),
    ("9" * 5000, "вне допустимого диапазона"),  # longer than int() parses by default
    (MAX_ROW_ID + 1, "вне допустимого диапазона"),
    (1e20, "вне допустимого диапазона"),
    (float(2**60), "мог исказиться"),  # beyond a float's exact whole numbers
    (-1, "больше нуля"),
    ("-1", "больше нуля"),
    (0, "больше нуля"),
    (1.5, "не целое число"),
    ("1.5", "не число"),
    ("abc", "не число"),
    ("١٢", "не число"),  # Arabic-Indic digits: isdigit() says yes, an id says no
    (None, "пуст"),
    ("  ", "пуст"),
    (True, "не число"),
]


@pytest.mark.parametrize(("cell", "reason"), BAD_IDS, ids=[repr(c)[:24] for c, _ in BAD_IDS])
def test_a_bad_payment_id_is_a_row_error_and_the_good_rows_are_read(tmp_path: Path, cell: object, reason: str) -> None:
    rows = [[7, "U1", "Петрова"], [cell, "U2", "Петрова"], [str(MAX_ROW_ID), "U3", "Петрова"]]
    path = _book(tmp_path / "r.xlsx", rows)
    book = read_book(path)
    assert book.refused is None
    assert book.requests == [ResolutionRequest(7, "U1", "Петрова", "r.xlsx", 2),
                             ResolutionRequest(MAX_ROW_ID, "U3", "Петрова", "r.xlsx", 4)]  # fmt: skip
    assert [e.line_no for e in book.errors] == [3]
    assert reason in book.errors[0].reason and "лист «Не найден ПД»" in book.errors[0].reason
    assert len(book.errors[0].reason) < 300  # a pasted page is not quoted whole


@pytest.mark.parametrize(
    ("cell", "expected"), [(" 42 ", 42), ("0042", 42), (42.0, 42), (str(MAX_ROW_ID), MAX_ROW_ID), (1, 1)]
)
def test_a_payment_id_in_range_is_read(tmp_path: Path, cell: object, expected: int) -> None:
    book = read_book(_book(tmp_path / "r.xlsx", [[cell, "U1", "A"]]))
    assert (book.refused, book.errors, [r.payment_id for r in book.requests]) == (None, [], [expected])


@pytest.mark.parametrize(
    ("target", "who", "reason"),
    [("U" * 65, "A", "длиннее 64"), ("U1", "Я" * 201, "длиннее 200"), ("U1", None, "пусто")],
)
def test_overlong_or_missing_text_is_a_row_error(tmp_path: Path, target: str, who: object, reason: str) -> None:
    book = read_book(_book(tmp_path / "r.xlsx", [[5, target, who]]))
    assert book.requests == [] and [e.line_no for e in book.errors] == [2] and reason in book.errors[0].reason


def _truncated(tmp_path: Path) -> Path:
    good = _book(tmp_path / "good.xlsx", [[1, "U1", "A"]]).read_bytes()
    (path := tmp_path / "r.xlsx").write_bytes(good[: len(good) // 2])
    return path


def _csv(tmp_path: Path) -> Path:
    (path := tmp_path / "r.xlsx").write_text("ID платежа;Верный ЛС или УИП;Кто решил\n7;U1;A\n", encoding="cp1251")
    return path


def _ole2(tmp_path: Path) -> Path:  # an encrypted .xlsx is an OLE2 compound file, as a legacy .xls is
    (path := tmp_path / "r.xlsx").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600)
    return path


def _zip_of_other(tmp_path: Path) -> Path:
    with zipfile.ZipFile(path := tmp_path / "r.xlsx", "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return path


def _broken_sheet(tmp_path: Path) -> Path:
    """A valid zip whose sheet XML is cut half-way: found only while reading rows."""
    good = _book(tmp_path / "good.xlsx", [[i, f"U{i}", "A"] for i in range(1, 200)])
    path = tmp_path / "r.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    return path


def _empty(tmp_path: Path) -> Path:
    (path := tmp_path / "r.xlsx").write_bytes(b"")
    return path


def _no_columns(tmp_path: Path) -> Path:
    return _book(tmp_path / "r.xlsx", [[7, "U1", "A"]], header=["ID", "ЛС", "Кто"])


def _no_header_near_top(tmp_path: Path) -> Path:
    return _book(tmp_path / "r.xlsx", [[None]] * 12 + [HEADER, [7, "U1", "A"]], header=["Отчёт"])


REFUSED = [
    (_truncated, "повреждена"),
    (_csv, "текстовый файл"),
    (_ole2, "паролем"),
    (_zip_of_other, "повреждена"),
    (_broken_sheet, "повреждена"),
    (_empty, "пуст"),
    (_no_columns, "нет колонок «ID платежа», «Верный ЛС или УИП», «Кто решил»"),
    (_no_header_near_top, "нет колонок"),
]


@pytest.mark.parametrize(("make", "reason"), REFUSED, ids=[m.__name__ for m, _ in REFUSED])
def test_a_file_that_is_no_resolutions_workbook_is_refused_whole(tmp_path: Path, make, reason: str) -> None:
    path = make(tmp_path)
    book = read_book(path)
    assert book.requests == [] and book.errors == []
    assert book.refused is not None and reason in book.refused and book.detail
    assert read_resolutions(path) == ([], [read_resolutions(path)[1][0]]) and read_resolutions(path)[1][0].line_no == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_no_bytes_make_the_reader_raise(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("b") / "r.xlsx"
    path.write_bytes(data)
    book = read_book(path)
    assert book.refused is not None and book.requests == []


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30)))
def test_any_id_cell_is_an_id_in_range_or_a_reason(cell: object) -> None:
    from domain.identifiers import row_id

    number, reason = row_id.parse(cell)
    assert (number is None) != (reason is None)
    assert number is None or 1 <= number <= MAX_ROW_ID
