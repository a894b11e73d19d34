"""Generate the XLSX register samples of tests/test_parsers_xlsx.py (committed; rerun only to change them).

    .venv/bin/python tests/data/registers/make_xlsx_samples.py

Then regenerate the golden files: ``RKC_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_parsers_xlsx.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADER = ["Дата платежа", "Номер операции", "УИП", "Лицевой Счёт", "ФИО", "Адрес", "Период", " Сумма ", "Комиссия"]


def portal_register(path: Path) -> None:
    """Title rows, a header with ё and odd spacing, real and text dates, float and text amounts, bad rows, Итого."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Реестр"
    sheet.append(["Реестр платежей за 20.11.2026 (портал ЖКХ)"])
    sheet.merge_cells("A1:I1")
    sheet.append(["Агент: ООО «Портал»", None, None, "ИНН 7707083893"])
    sheet.append([])
    sheet.append(HEADER)
    rows = [
        # real date-time, leading-zero account as text, float amounts
        [
            dt.datetime(2026, 11, 20, 10, 15, 7),
            1001,
            None,
            "000012345678",
            "ИВАНОВ ИВАН ИВАНОВИЧ",
            "Г ИПАТОВО УЛ ЛЕНИНА Д 1 КВ 2",
            "11.2026",
            1500.0,
            15.0,
        ],
        # text date and time, text amounts with a group space and decimal comma, period MMYY
        [
            "20.11.2026 11:02:00",
            "1002",
            "0123456789ABCDEF0123456789ABCDEF",
            "987654",
            "Петрова А. А.",
            None,
            "1126",
            "1 234,56",
            "12,35",
        ],
        # date cell without time, no operation id, account as a number, period as a date cell, formula noise
        [dt.date(2026, 11, 20), None, None, 4455, "СИДОРОВ", "ул. Мира, 5", dt.date(2026, 10, 1), 0.1 + 0.2, 0],
        # bad: date that does not exist (amount still readable: counts against the totals)
        ["31.11.2026", "1004", None, "111", "ОШИБКИН", None, "11.2026", 250.5, 2.5],
        # bad: fraction of a kopeck (amount unreadable)
        [dt.datetime(2026, 11, 20, 12, 0), "1005", None, "222", "ДРОБНОВ", None, "112026", 12.345, 0.12],
        [],  # empty row: skipped
        # ISO text date, junk period (kept as a payment, period None), commission cell empty (NA)
        ["2026-11-20", "1006", None, "00-12-34", "ЛЕВЫЙ ПЕРИОД", None, "зима", 100, None],
    ]
    for row in rows:
        sheet.append(row)
    total = 150000 + 123456 + 30 + 25050 + 10000  # the unreadable 12.345 cannot count
    sheet.append(["Итого: 6", None, None, None, None, None, None, total / 100, 32.35 + 2.5 + 0.12])
    sheet.append([])
    sheet.append(["Исполнитель: Петров П. П.", None, None, None, "Подпись ________"])
    for cell in sheet["A"][4:]:
        if isinstance(cell.value, dt.date) and not isinstance(cell.value, dt.datetime):
            cell.number_format = "DD.MM.YYYY"
    book.save(path)


if __name__ == "__main__":
    portal_register(HERE / "xlsx_portal.xlsx")
    print("written", HERE / "xlsx_portal.xlsx")
