"""A supplier's notice of one date's payouts: ``payout-<D>-<inn>.xlsx`` beside the day's payment
orders (docs/REPORTS.md, section 4). One short sheet: who pays whom, each payment order (number,
date, sum, purpose, state) and the total of those not cancelled.

A day has a notice for each of hundreds of suppliers, all of one layout: ``write_notices`` builds,
styles and saves the workbook with openpyxl once per number of orders, with a marker in each cell
a supplier fills, and for each supplier writes that package again with the markers' cells rendered
(as ``reports.xlsx`` splices its rows): an openpyxl workbook built and saved per supplier was most
of a preparation's time (docs/PERFORMANCE.md «Payouts to suppliers»).
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils.datetime import to_excel

from domain.money import to_decimal
from domain.payouts import PayoutStatus
from reports.document_xlsx import BOX, MONEY, finish, style_header
from reports.payouts_xlsx import STATUS_RU

HEADER = ["№ п/п", "Дата п/п", "Сумма, руб.", "Назначение платежа", "Состояние"]
WIDTHS = [10, 12, 16, 70, 16]
HEAD_ROW = 6  # the table's header row, under the title, the payer, the recipient and a blank row
SHEET = "xl/worksheets/sheet1.xml"
_MARKED = re.compile(r'<c r="([A-Z]+[0-9]+)"((?: s="[0-9]+")?) t="inlineStr"><is><t>\{\{rkc:([0-9]+)\}\}</t></is></c>')
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def write_notices(notices: Iterable[tuple[Path, list[dict]]], day: date, payer_name: str) -> list[Path]:
    """Write the notices of ``day``: each (path, one supplier's rows of the ``payout`` table of the
    day as dicts, in number order)."""
    layouts: dict[int, _Package] = {}  # the package of a notice of so many orders, with markers
    written = []
    for path, payouts in notices:
        package = layouts.get(len(payouts))
        if package is None:
            package = layouts[len(payouts)] = _package(day, payer_name, len(payouts))
        written.append(package.write(path, _values(payouts)))
    return written


@dataclass(frozen=True)
class _Package:
    """A saved notice: its zip members, and its sheet cut at the cells to fill (``cells[i]``, the
    reference and style attribute of marker ``i``, goes between ``parts[i]`` and ``parts[i + 1]``)."""

    members: list[tuple[zipfile.ZipInfo, bytes]]
    parts: list[str]
    cells: list[tuple[str, str, int]]

    def write(self, path: Path, values: list[object]) -> Path:
        """The notice with ``values`` (by marker number) in its cells, written atomically."""
        sheet = [self.parts[0]]
        for (ref, style, mark), after in zip(self.cells, self.parts[1:], strict=True):
            sheet += [_cell(ref, style, values[mark]), after]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for info, data in self.members:
                out.writestr(info, "".join(sheet).encode("utf-8") if info.filename == SHEET else data)
        os.replace(tmp, path)
        return path


def _package(day: date, payer_name: str, orders: int) -> _Package:
    """Build, style and save the notice of ``orders`` orders of ``day`` with a marker in every cell
    of a supplier's values (the numbering of ``_values``); cut its sheet at them."""
    wb = Workbook()
    ws = wb.active
    ws.title = f"Перечисление {day:%d.%m.%Y}"
    ws.append([f"Уведомление о перечислении денежных средств за {day:%d.%m.%Y}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"Плательщик: {payer_name}"])
    ws.append([_marker(0)])
    ws.append([_marker(1)])
    ws.append([])
    ws.append(HEADER)
    style_header(ws[HEAD_ROW])
    for k in range(orders):
        row = HEAD_ROW + 1 + k
        ws.append([_marker(2 + 5 * k + c) for c in range(5)])
        ws.cell(row, 1).number_format = "@"
        ws.cell(row, 2).number_format = "DD.MM.YYYY"
        ws.cell(row, 3).number_format = MONEY
        ws.cell(row, 4).alignment = Alignment(wrap_text=True, vertical="top")
        for cell in ws[row]:
            cell.border = BOX
    ws.append(["Итого перечислено", None, _marker(2 + 5 * orders)])
    ws.cell(ws.max_row, 1).font = ws.cell(ws.max_row, 3).font = Font(bold=True)
    ws.cell(ws.max_row, 3).number_format = MONEY
    finish(wb, WIDTHS, HEAD_ROW)
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as saved:
        members = [(info, saved.read(info.filename)) for info in saved.infolist()]
    sheet = dict((i.filename, d) for i, d in members)[SHEET].decode("utf-8")
    found = list(_MARKED.finditer(sheet))
    parts = [sheet[a.end() if a else 0 : b.start() if b else len(sheet)]
             for a, b in zip([None, *found], [*found, None], strict=True)]  # fmt: skip
    if sorted(int(m.group(3)) for m in found) != list(range(3 + 5 * orders)):
        raise RuntimeError("the notice's layout lost a marker")  # openpyxl wrote a cell otherwise
    return _Package(members, parts, [(m.group(1), m.group(2), int(m.group(3))) for m in found])


def _marker(n: int) -> str:
    return f"{{{{rkc:{n}}}}}"


def _values(payouts: list[dict]) -> list[object]:
    """One supplier's values by marker: the recipient, the account, each order's five cells, the total."""
    first = payouts[0]
    values: list[object] = [
        f"Получатель: {first['recipient_name']}, ИНН {first['supplier_inn']}"
        + (f", КПП {first['recipient_kpp']}" if first["recipient_kpp"] else ""),
        f"Счёт получателя: {first['recipient_account']}, БИК {first['recipient_bic']}"
        + (f"; договор № {first['contract_no']}" if first["contract_no"] else ""),
    ]
    for r in payouts:
        values += [str(r["number"]), r["pay_date"], to_decimal(int(r["amount"])), str(r["purpose"]),
                   STATUS_RU.get(r["status"], r["status"])]  # fmt: skip
    values.append(to_decimal(sum(int(r["amount"]) for r in payouts if r["status"] != PayoutStatus.CANCELLED.value)))
    return values


def _cell(ref: str, style: str, value: object) -> str:
    """One cell's SpreadsheetML: text always an inline string (never a formula), money a number, a
    date its serial (the cell's style formats it)."""
    if isinstance(value, Decimal | int):
        return f'<c r="{ref}"{style} t="n"><v>{value}</v></c>'
    if isinstance(value, date | datetime):
        return f'<c r="{ref}"{style} t="n"><v>{to_excel(value)}</v></c>'
    text = _NOT_XML.sub("", str(value)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
