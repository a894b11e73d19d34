"""Generate the spreadsheet register samples of the other containers (committed; rerun only to change them).

    .venv/bin/python tests/data/registers/make_sheet_samples.py

One register (the portal profile's columns: title, header, payments, Итого, a note) written as a
legacy Excel 97-2003 workbook (BIFF8, with xlwt: a test-only dependency), an OpenDocument
spreadsheet (written by hand: a zip with ``mimetype`` and ``content.xml``), an HTML table saved
with an ``.xls`` name (as web banks' "export to Excel" buttons do, cp1251) and an HTML page with
no table. Then regenerate the golden files:
``RKC_REGEN_GOLDEN=1 .venv/bin/pytest tests/test_parsers_sheet_containers.py``.
"""

from __future__ import annotations

import datetime as dt
import html
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TITLE = "Реестр платежей за 20.11.2026 (Почта Банк, выгрузка)"
HEADER = ["Дата платежа", "Номер операции", "Лицевой счет", "ФИО", "Сумма, руб.", "Комиссия, руб."]
ROWS: list[list[object]] = [
    [dt.datetime(2026, 11, 20, 9, 30, 0), "5001", "000012345678", "ИВАНОВ И. И.", 1500.0, 15.0],
    [dt.datetime(2026, 11, 20, 10, 0, 5), "5002", "987654", "ПЕТРОВА А. А.", 1234.56, 12.35],
    ["31.11.2026", "5003", "111", "ОШИБКИН", 250.5, 2.5],  # a date that does not exist: rejected, amount counts
    [dt.datetime(2026, 11, 20, 11, 45, 0), "5004", "222", "СИДОРОВ", 99.99, 0.0],
]
TOTAL = (1500.0, 1234.56, 250.5, 99.99)
TOTALS: list[object] = ["Итого: 4", None, None, None, round(sum(TOTAL), 2), 29.85]
NOTE = ["Исполнитель: Петров П. П."]


def write_xls(path: Path) -> None:
    """BIFF8 through xlwt, dates as date cells with a date format."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Реестр")
    stamp = xlwt.easyxf(num_format_str="DD.MM.YYYY HH:MM:SS")
    rows = [[TITLE], [], HEADER, *ROWS, TOTALS, NOTE]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                sheet.write(r, c, value, stamp)
            else:
                sheet.write(r, c, value)
    book.save(str(path))


def _ods_cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, dt.datetime):
        return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                f"<text:p>{value:%d.%m.%Y %H:%M:%S}</text:p></table:table-cell>")  # fmt: skip
    if isinstance(value, float):
        number = f'office:value-type="float" office:value="{value!r}"'
        return f"<table:table-cell {number}><text:p>{value}</text:p></table:table-cell>"
    return f'<table:table-cell office:value-type="string"><text:p>{html.escape(str(value))}</text:p></table:table-cell>'


def write_ods(path: Path) -> None:
    """A minimal OpenDocument spreadsheet: ``mimetype`` stored first, ``content.xml``, a manifest."""
    rows = [[TITLE], [], HEADER, *ROWS, TOTALS, NOTE]
    body = "".join(f"<table:table-row>{''.join(_ods_cell(v) for v in row)}</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Реестр">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)


def write_html(path: Path) -> None:
    """An HTML table named .xls: text cells, a colspan title, NBSP group separators, cp1251."""

    def cell(value: object) -> str:
        if value is None:
            return "<td></td>"
        if isinstance(value, dt.datetime):
            return f"<td>{value:%d.%m.%Y %H:%M:%S}</td>"
        if isinstance(value, float):
            return "<td>" + f"{value:,.2f}".replace(",", "&nbsp;").replace(".", ",") + "</td>"
        return f"<td>{html.escape(str(value))}</td>"

    lines = [f'<tr><td colspan="6"><b>{TITLE}</b></td></tr>', "<tr></tr>"]
    lines.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in HEADER) + "</tr>")
    lines += ["<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in [*ROWS, TOTALS, NOTE]]
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head>'
        "<body><table border=1>\n" + "\n".join(lines) + "\n</table></body></html>\n"
    )
    path.write_bytes(page.encode("cp1251"))


def write_gis_payments(path: Path) -> None:
    """The ГИС ЖКХ payment template's columns: no title, no Итого, dates as text, amounts as numbers."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Платежи"
    sheet.append(["Номер платежа", "Дата внесения платы", "Идентификатор платежного документа",
                  "Номер лицевого счета", "Расчетный период", "Сумма, руб.", "Назначение платежа"])  # fmt: skip
    sheet.append([1, 2, 3, 4, 5, 6, 7])
    sheet.append(["000000001", "20.11.2026", "55АБ123456-01-6111", "000012345678", "10.2026", 1830.25, "ЖКУ"])
    sheet.append(["000000002", dt.date(2026, 11, 20), "55АБ123457-01-6111", "000012345679", "10.2026", 740.0, None])
    sheet.append(["000000003", "20.11.2026", "55АБ123458-01-6111", "000012345680", "10.2026", "0,00", "ЖКУ"])
    sheet.append([])
    book.save(path)


def write_bank_units(path: Path) -> None:
    """Title rows, a header over two merged rows with units (руб. and коп.), column numbers, Итого."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["РЕЕСТР ПЛАТЕЖЕЙ № 118 за 20.11.2026"])
    sheet.append(["Филиал: Ставропольский"])
    sheet.append(["Дата операции", "№ операции", "Лицевой\nсчёт", "ФИО плательщика", "Платёж", None])
    sheet.append([None, None, None, None, "Сумма платежа, руб.", "Комиссия банка, коп."])
    sheet.merge_cells("E3:F3")
    for col in "ABCD":
        sheet.merge_cells(f"{col}3:{col}4")
    sheet.append([1, 2, 3, 4, 5, 6])
    sheet.append([dt.datetime(2026, 11, 20, 8, 15), "77001", "000012345678", "ИВАНОВ И. И.", 2500.0, 2500])
    sheet.append([dt.datetime(2026, 11, 20, 8, 40), "77002", "000012345679", "ПЕТРОВ П. П.", "1\u00a0200,50", 1200])
    sheet.append([dt.datetime(2026, 11, 20, 9, 5), "77003", "000012345680", "СИДОРОВА С. С.", 300.0, "3,5"])
    sheet.append(["Всего по реестру: 3", None, None, None, 4000.5, 4200])
    sheet.append(["Главный бухгалтер ________"])
    book.save(path)


if __name__ == "__main__":
    write_xls(HERE / "sheet_portal_biff8.xls")
    write_ods(HERE / "sheet_portal.ods")
    write_html(HERE / "sheet_portal_html.xls")
    write_gis_payments(HERE / "sheet_gis_payments.xlsx")
    write_bank_units(HERE / "sheet_bank_units.xlsx")
    (HERE / "sheet_html_page.xls").write_bytes(
        "<html><head><title>Сеанс истёк</title></head><body><p>Войдите снова</p></body></html>\n".encode("cp1251")
    )
    print("written to", HERE)
