"""The resolution round trip: the report is written, an accountant fills it in, rkc reads it back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from domain.records import LineError
from reports.resolutions import ResolutionRequest, read_resolutions
from reports.run_report import RunReportData, write_run_report

DAY = date(2026, 3, 16)
SHEET = "Не найден ПД - лицевой счёт"


def _report(tmp_path: Path, payment_ids: list[int], code: str = "UNKNOWN_ACCOUNT") -> Path:
    n = len(payment_ids)
    discrepancies = pd.DataFrame(
        {
            "code": [code] * n,
            "register_id": [1] * n,
            "payment_id": pd.array(payment_ids, dtype="Int64"),
            "channel": "sber",
            "file": "a.txt",
            "line_no": list(range(1, n + 1)),
            "operation_id": [f"op{i}" for i in payment_ids],
            "paid_date": "2026-03-15",
            "account_raw": "000099999999",
            "uip": None,
            "payer": "ИВАНОВ И И",
            "address": "Г ИПАТОВО",
            "amount": pd.array([30000] * n, dtype="Int64"),
            "detail": "",
            "raw": "raw",
        }
    )
    empty = pd.DataFrame()
    xlsx, _ = write_run_report(RunReportData(DAY, empty, empty, discrepancies, empty), tmp_path)
    return xlsx


def _fill(path: Path, sheet: str, values: dict[int, tuple[object, object]], out: Path) -> Path:
    """Type targets and names into the given rows, as an accountant would in Excel, and save."""
    wb = load_workbook(path)
    ws = wb[sheet]
    head = [c.value for c in ws[1]]
    target, who = head.index("Верный ЛС или УИП") + 1, head.index("Кто решил") + 1
    for row, (value, name) in values.items():
        ws.cell(row=row, column=target, value=value)
        ws.cell(row=row, column=who, value=name)
    wb.save(out)
    return out


def test_round_trip_reads_what_the_accountant_typed(tmp_path: Path) -> None:
    report = _report(tmp_path, [11, 12, 13])
    filled = _fill(
        report, SHEET, {2: ("000012345678", "Петрова А.В."), 4: ("  U-2026-02-0001 ", "Петрова А.В.")},
        tmp_path / "resolved.xlsx",
    )  # fmt: skip
    requests, errors = read_resolutions(filled)
    assert errors == []
    assert requests == [
        ResolutionRequest(11, "000012345678", "Петрова А.В.", "resolved.xlsx", 2),
        ResolutionRequest(13, "U-2026-02-0001", "Петрова А.В.", "resolved.xlsx", 4),
    ]


def test_ambiguous_sheet_can_be_resolved_too(tmp_path: Path) -> None:
    report = _report(tmp_path, [21], code="AMBIGUOUS_MATCH")
    filled = _fill(report, "Неоднозначное соответствие", {2: ("U1", "Иванов")}, tmp_path / "r.xlsx")
    assert read_resolutions(filled) == ([ResolutionRequest(21, "U1", "Иванов", "r.xlsx", 2)], [])


def test_untouched_report_gives_nothing(tmp_path: Path) -> None:
    assert read_resolutions(_report(tmp_path, [11, 12])) == ([], [])


def test_unreadable_rows_are_line_errors_and_the_rest_is_read(tmp_path: Path) -> None:
    report = _report(tmp_path, [11, 12, 13, 14, 15])
    wb = load_workbook(report)
    ws = wb[SHEET]
    ws["A3"] = "двенадцать"  # payment id overwritten
    ws["A4"] = 13.5
    wb.save(report)
    filled = _fill(
        report, SHEET,
        {2: ("123", "Петрова"), 3: ("456", "Петрова"), 4: ("789", "Петрова"), 5: ("999", None),
         6: (12345678, "Петрова")},
        tmp_path / "r.xlsx",
    )  # fmt: skip
    requests, errors = read_resolutions(filled)
    assert requests == [
        ResolutionRequest(11, "123", "Петрова", "r.xlsx", 2),
        ResolutionRequest(15, "12345678", "Петрова", "r.xlsx", 6),  # a ЛС typed as a number
    ]
    assert [(e.file, e.line_no) for e in errors] == [("r.xlsx", 3), ("r.xlsx", 4), ("r.xlsx", 5)]
    assert "«ID платежа» не число: 'двенадцать'" in errors[0].reason
    assert "Кто решил" in errors[2].reason
    assert all(isinstance(e, LineError) for e in errors)


def test_columns_are_found_by_header_after_reordering_and_sorting(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "мой лист"
    ws.append(["Реестр за 16.03.2026"])  # a title row the accountant added
    ws.append(["Кто решил", "Сумма", "Верный ЛС или УИП", "ID платежа"])
    ws.append(["Сидоров", 300, "U9", 42])
    ws.append([None, 100, None, 41])
    path = tmp_path / "manual.xlsx"
    wb.save(path)
    assert read_resolutions(path) == ([ResolutionRequest(42, "U9", "Сидоров", "manual.xlsx", 3)], [])


def test_the_same_payment_resolved_two_ways_is_an_error(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    for row in (["ID платежа", "Верный ЛС или УИП", "Кто решил"], [7, "U1", "A"], [7, "U1", "A"], [7, "U2", "B"]):
        ws.append(row)
    path = tmp_path / "twice.xlsx"
    wb.save(path)
    requests, errors = read_resolutions(path)
    assert requests == [ResolutionRequest(7, "U1", "A", "twice.xlsx", 2)]
    assert [e.line_no for e in errors] == [4] and "уже разнесён на 'U1' в строке 2" in errors[0].reason


@pytest.mark.parametrize("content", [b"not a workbook", b""])
def test_an_unreadable_workbook_is_one_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    requests, errors = read_resolutions(path)
    assert requests == [] and len(errors) == 1 and errors[0].line_no == 0
