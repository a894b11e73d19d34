"""Spreadsheet samples of the corpus: XLSX (openpyxl), legacy XLS (BIFF8, xlwt) and an HTML table
saved with an .xls name. Written by ``tests/corpus_build.py``; see docs/CORPUS.md for the sources.

XLSX files are rewritten with fixed zip timestamps and fixed document dates so that running the
build twice gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook

FIXED = dt.datetime(2026, 11, 20, 0, 0, 0)
_W3CDTF = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z")

# ГИС ЖКХ import template, sheet "Оплаты": a three-row header (merged group cells over the
# columns), the period in two columns (Месяц, Год), the bank's split over Услуга1..N.
GIS_HEADER = (
    ["№ п\\п", "Основные данные", None, None, None, None, None, "Квитирование", None, None, None],
    [None, "Номер платежного документа", "Дата внесения платы (в случае отсутствия: дата поступления средств)",
     "Период, за который вносится плата", None, "Сумма",
     "Уникальный номер платежа (идентификатор операции) (присваивается ГИС ЖКХ)", "Услуга1", None, "Услуга2", None],
    [None, None, None, "Месяц", "Год", None, None, "Название", "Сумма", "Название", "Сумма"],
)  # fmt: skip
GIS_MERGES = ("A1:A3", "B1:G1", "H1:K1", "B2:B3", "C2:C3", "D2:E2", "F2:F3", "G2:G3", "H2:I2", "J2:K2")
GIS_ROWS = (
    [1, "56АБ123456-01-1026", dt.date(2026, 11, 20), 10, 2026, 2350.45, None,
     "Содержание жилого помещения", 1350.45, "Холодное водоснабжение", 1000.00],
    [2, "56АБ123456-02-1026", dt.date(2026, 11, 20), 10, 2026, 800.00, None,
     "Содержание жилого помещения", 800.00, None, None],
    [3, "56АБ123457-01-0926", dt.date(2026, 11, 19), 9, 2026, 1200.00, None, None, None, None, None],
    [4, None, dt.date(2026, 11, 20), 10, 2026, 650.00, None, None, None, None, None],
    [5, "56АБ123458-01-1026", "20.11.2026", 13, 2026, "1 200,50", None, None, None, None, None],
)  # fmt: skip

# An online channel's XLSX: title rows, units in the headers (", руб.", "(руб)", a line break and a
# no-break space inside cells), a row of column numbers under the header, an Итого row.
UNITS_HEADER = ["№ п/п", "Дата\u00a0платежа", "Номер операции", "Лицевой счет", "ФИО плательщика", "Адрес",
                "Период", "Сумма, руб.", "Комиссия,\nруб.", "Сумма к перечислению (руб)"]  # fmt: skip
UNITS_ROWS = (
    [1, dt.datetime(2026, 11, 20, 9, 5, 11), "RN-0000000101", "000012345678", "ИВАНОВ ИВАН ИВАНОВИЧ",
     "Г ИПАТОВО УЛ ЛЕНИНА Д 1 КВ 2", "10.2026", 1000.00, 10.00, 990.00],
    [2, dt.datetime(2026, 11, 20, 10, 41, 0), "RN-0000000102", "000000456789", "ПЕТРОВА АННА СЕРГЕЕВНА",
     "Г ИПАТОВО УЛ МИРА Д 14 КВ 7", "10.2026", "1\u00a0500,00", "15,00", "1\u00a0485,00"],
    [3, "20.11.2026", "RN-0000000103", "000000077777", "КУЗНЕЦОВА ОЛЬГА НИКОЛАЕВНА",
     "С ЛЕСНОЕ УЛ САДОВАЯ Д 3", "10.2026", 2000.00, 20.00, 1980.00],
    [4, dt.datetime(2026, 11, 20, 15, 2, 37), "RN-0000000104", "000012340010", "ОРЛОВА НИНА ВАСИЛЬЕВНА",
     "Г ИПАТОВО УЛ ЛЕНИНА Д 7 КВ 4", "09.2026", 900.00, 9.00, 891.00],
    [5, dt.datetime(2026, 11, 20, 18, 30, 5), "RN-0000000105", "000012340011", "ЛЕБЕДЕВ ИГОРЬ АНДРЕЕВИЧ",
     "Г ИПАТОВО УЛ ЛЕНИНА Д 7 КВ 5", "10.2026", 2000.00, 20.00, 1980.00],
)  # fmt: skip
UNITS_TOTAL = ["Итого", None, None, None, None, None, None, 7400.00, 74.00, 7326.00]

# Legacy Excel 97-2003 (BIFF8) with amounts in kopecks, said by the header ("Сумма, коп.").
KOPECKS_HEADER = ["Дата", "Лицевой счет", "Плательщик", "Период (ММГГГГ)", "Сумма, коп.", "Комиссия, коп."]
KOPECKS_ROWS = (
    ["20.11.2026", "000012345678", "ИВАНОВ И И", "102026", 150000, 1500],
    ["20.11.2026", "000000456789", "ПЕТРОВА А С", "102026", 235045, 2350],
    ["20.11.2026", "000000077777", "КУЗНЕЦОВА О Н", "092026", 80000, 800],
    ["20.11.2026", "000012340010", "ОРЛОВА Н В", "102026", 99999, 1000],
)  # fmt: skip
KOPECKS_TOTAL = ["Всего", None, None, None, 565044, 5650]

# A web bank's "Excel" export that is an HTML page (windows-1251) with one table.
HTML_ROWS = (
    ("Дата платежа", "Лицевой счет", "Плательщик", "Период", "Сумма", "Комиссия"),
    ("20.11.2026", "000012345678", "ИВАНОВ И И", "10.2026", "1 200,00", "12,00"),
    ("20.11.2026", "000000456789", "ПЕТРОВА А С", "10.2026", "650,00", "6,50"),
    ("20.11.2026", "000000077777", "КУЗНЕЦОВА О Н", "10.2026", "3 100,00", "31,00"),
    ("Итого", "", "", "", "4 950,00", "49,50"),
)


def _save_reproducible(book: Workbook, path: Path) -> None:
    """Save an openpyxl workbook with fixed document dates and zip entry times (same bytes each run)."""
    book.properties.created = FIXED
    book.properties.modified = FIXED
    raw = io.BytesIO()
    book.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" with the time of saving
                data = _W3CDTF.sub(FIXED.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), data)
            dst.writestr(fixed, data)
    path.write_bytes(out.getvalue())


def gis_template(path: Path) -> None:
    """ГИС ЖКХ "Оплаты" sheet: merged three-row header, Месяц/Год, Услуга1..2, a row without ИПД."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Оплаты"
    for row in (*GIS_HEADER, *GIS_ROWS):
        sheet.append(row)
    for cells in GIS_MERGES:
        sheet.merge_cells(cells)
    for row in range(4, 4 + len(GIS_ROWS)):
        sheet.cell(row, 3).number_format = "DD.MM.YYYY"
    _save_reproducible(book, path)


def units_register(path: Path) -> None:
    """Online channel XLSX with unit headers, a column-number row and an Итого row."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Реестр"
    sheet.append(["Реестр платежей за 20.11.2026"])
    sheet.merge_cells("A1:J1")
    sheet.append(["Получатель: ООО «РКЦ», ИНН 2608000000"])
    sheet.append(UNITS_HEADER)
    sheet.append(list(range(1, len(UNITS_HEADER) + 1)))
    for row in UNITS_ROWS:
        sheet.append(row)
    sheet.append(UNITS_TOTAL)
    _save_reproducible(book, path)


def kopecks_xls(path: Path) -> None:
    """Legacy BIFF8 workbook (xlwt) with a title, a "коп." header, four payments and a Всего row."""
    import xlwt  # only needed to regenerate this one file

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Реестр")
    rows = (["Реестр принятых платежей 20.11.2026"], KOPECKS_HEADER, *KOPECKS_ROWS, KOPECKS_TOTAL)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    raw = io.BytesIO()
    book.save(raw)
    path.write_bytes(raw.getvalue())


def html_xls(path: Path) -> None:
    """An HTML page in windows-1251 with one table, saved under an .xls name."""
    cells = "\r\n".join("<tr>" + "".join(f"<td>{value}</td>" for value in row) + "</tr>" for row in HTML_ROWS)
    page = (
        '<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">\r\n'
        "<title>Реестр платежей</title>\r\n</head>\r\n<body>\r\n<table border=1>\r\n"
        f"{cells}\r\n</table>\r\n</body>\r\n</html>\r\n"
    )
    path.write_bytes(page.encode("cp1251"))
