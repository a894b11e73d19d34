"""The regional portal's XLSX register, written as SpreadsheetML text in bulk.

openpyxl would take seconds per 100,000 rows and stamps the save time into the file; the sheet is
instead built column-wise with arrow kernels and zipped with fixed timestamps, so the file is
byte-identical for one seed. Layout (docs/FORMATS.md): two title rows, a blank row, the Russian
header, one row per payment (real dates for most rows, text dates and text amounts like
``1 234,56`` for some; «Способ оплаты» and, for a QR scan, the scanned «QR-код», some of those rows
without their ЛС), and a closing "Итого" row with the count, the sum and the commission.
"""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from synthetic._text import arr, encode_lines, grouped, join, money, nums, where
from synthetic.methods import center_requisites, portal_methods
from synthetic.payments import Plan
from synthetic.sber import RegisterFile
from synthetic.world import World

HEADERS = ("Дата платежа", "Номер операции", "УИП", "Лицевой счет", "ФИО", "Адрес", "Период", "Сумма", "Комиссия",
           "Способ оплаты", "QR-код")  # fmt: skip
TITLE_ROWS = 3  # two title rows and a blank one above the header
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        '<sheet name="Реестр" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd.mm.yyyy"/>'
        '</numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
        '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        "</styleSheet>"
    ),
}
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STAMP = (2026, 1, 1, 0, 0, 0)


def _entry(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed timestamp (the file must not depend on when it was written)."""
    info = zipfile.ZipInfo(name, _STAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _escape(values: pa.Array) -> pa.Array:
    out = values
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        out = pc.replace_substring(out, raw, safe)
    return arr(out)


def _text_cells(col: str, rows: pa.Array, values: pa.Array) -> pa.Array:
    return join([f'<c r="{col}', rows, '" t="inlineStr"><is><t>', _escape(values), "</t></is></c>"], "")


def _num_cells(col: str, rows: pa.Array, values: pa.Array, style: int) -> pa.Array:
    return join([f'<c r="{col}', rows, f'" s="{style}"><v>', values, "</v></c>"], "")


def _row(number: int, cells: str) -> str:
    return f'<row r="{number}">{cells}</row>'


def _one_text(col: str, row: int, text: str) -> str:
    return _text_cells(col, pa.array([str(row)]), pa.array([text]))[0].as_py()


def write_portal(path: Path, plan: Plan, rows: np.ndarray, world: World, *, op_day: date,
                 rng: np.random.Generator, register_no: str, center: dict[str, str] | None = None,
                 defects: set[int] = frozenset()) -> RegisterFile:  # fmt: skip
    """Write the portal's XLSX register of ``rows`` (commission 0 by the portal's tariff), with how
    each payer paid and, for a QR scan, the scanned payload (``synthetic.methods``; ``center``: the
    payee of the receipts, ``defects``: the planted defect rows, never scanned)."""
    n = len(rows)
    idx = pa.array(rows)
    first = TITLE_ROWS + 2
    r = nums(np.arange(first, first + n))
    serial = (op_day - date(1899, 12, 30)).days
    as_text = rng.random(n) < 0.05  # some rows carry text dates and text amounts
    dates = where(as_text, _text_cells("A", r, pa.array([op_day.strftime("%d.%m.%Y")] * n)),
                  _num_cells("A", r, pa.array([str(serial)] * n), 1))  # fmt: skip
    docs = np.maximum(plan.doc[rows], 0)
    uip = where((plan.doc[rows] < 0) | (rng.random(n) < 0.2), "", world.doc_uip.take(pa.array(docs)))
    labels = [None, world.period.strftime("%m.%Y"), world.old_period.strftime("%m.%Y")]
    period = where(plan.period[rows] == 1, labels[2], where(plan.period[rows] == 0, labels[1], ""))
    amount = plan.amount[rows]
    sums = where(as_text, _text_cells("H", r, grouped(amount)), _num_cells("H", r, money(amount), 2))
    payee = center or center_requisites("РКЦ", "40702810900000000001", "044525225", "", "", "")
    methods, qr, qr_only = portal_methods(rows, plan, world, payee, set(defects))
    account = where(qr_only, "", plan.account_raw.take(idx))
    uip = where(qr_only, "", uip)  # the scan alone names the payer
    cells = join([
        dates, _text_cells("B", r, pa.array(plan.op[rows].tolist())), _text_cells("C", r, uip),
        _text_cells("D", r, account), _text_cells("E", r, plan.payer.take(idx)),
        _text_cells("F", r, plan.address.take(idx)), _text_cells("G", r, period), sums,
        _num_cells("I", r, money(np.zeros(n, dtype=np.int64)), 2), _text_cells("J", r, methods),
        _text_cells("K", r, qr),
    ], "")  # fmt: skip
    body = join(['<row r="', r, '">', cells, "</row>"], "")
    total = int(amount.sum())
    day = op_day.strftime("%d.%m.%Y")
    head = [
        _row(1, _one_text("A", 1, f"Реестр платежей за {day}")),
        _row(2, _one_text("A", 2, f"Реестр № {register_no} от {day}. Агент: Региональный портал оплаты ЖКУ")),
        _row(first - 1, "".join(_one_text(chr(65 + i), first - 1, h) for i, h in enumerate(HEADERS))),
    ]
    end = first + n
    foot = _row(end, _one_text("A", end, "Итого") + f'<c r="B{end}"><v>{n}</v></c>'
                + f'<c r="H{end}" s="2"><v>{money(np.array([total]))[0].as_py()}</v></c>'
                + f'<c r="I{end}" s="2"><v>0.00</v></c>')  # fmt: skip
    sheet = (_DECL + f'<worksheet xmlns="{_MAIN}"><sheetData>' + "".join(head)).encode("utf-8")
    sheet += encode_lines(body, "utf-8", "") + (foot + "</sheetData></worksheet>").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, text in _PARTS.items():
            zf.writestr(_entry(name), _DECL + text)
        zf.writestr(_entry("xl/worksheets/sheet1.xml"), sheet)
    declared = {"count": n, "amount": total, "commission": 0}
    return RegisterFile(path, "portal", "xlsx:xlsx_portal", rows, first, total, 0, register_no, op_day, None, declared)
