"""The payouts register an accountant signs: ``payouts-<D>.xlsx`` (docs/REPORTS.md).

One sheet, print-ready (A4 landscape, one page wide, the table's header repeated on every page):
the payment orders of the date with their recipients and sums, the total, the refunds to payers
of the date (their own table and total), the suppliers owed money but not paid and why, and lines
for the signatures. A few hundred rows: openpyxl's ordinary
workbook, which keeps the page setup.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from domain.money import to_decimal
from domain.payouts import PayoutStatus
from domain.refunds import REFUND_STATUS_RU, RefundStatus
from reports.document_xlsx import BOX, MONEY, finish_and_save, style_header

STATUS_RU = {
    PayoutStatus.PREPARED.value: "подготовлено",
    PayoutStatus.SETTLED.value: "списано банком",
    PayoutStatus.CANCELLED.value: "отменено",
}
HEADER = ["№", "№ п/п", "Дата п/п", "Поставщик", "ИНН", "КПП", "Расчётный счёт", "БИК", "Договор",
          "Сумма, руб.", "Состояние"]  # fmt: skip
WIDTHS = [5, 8, 11, 36, 13, 11, 23, 11, 14, 15, 15]
REFUND_HEADER = ["№", "№ п/п", "Дата п/п", "Получатель (плательщик)", "ИНН", "Заявка", "Счёт", "БИК", "Платёж",
                 "Сумма, руб.", "Состояние"]  # fmt: skip


def _text(value: object) -> str:
    """Text as a cell shows it (None and NaN as empty)."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _as_text(ws) -> None:  # type: ignore[no-untyped-def]
    """The last row's cells that openpyxl took for formulas (text starting with ``=``) made text:
    a supplier's name from a CSV is never evaluated."""
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def write(path: Path, payouts: pd.DataFrame, batch: dict, payer_name: str, refunds: pd.DataFrame | None = None) -> Path:
    """Write the register of one date's ``payouts`` (rows of the ``payout`` table), its ``batch``
    (``payout_batch``, with the ``skipped`` list) and its ``refunds`` (rows of ``refund`` with an
    order of the date)."""
    day: date = batch["pay_date"]
    wb = Workbook()
    ws = wb.active
    ws.title = f"Перечисления {day:%d.%m.%Y}"
    ws.append([f"Реестр перечислений поставщикам за {day:%d.%m.%Y}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"Плательщик: {payer_name}. Подготовлен {batch['prepared_at']:%d.%m.%Y %H:%M}."])
    ws.append([])
    ws.append(HEADER)
    head = ws.max_row
    style_header(ws[head])
    live = 0
    for i, r in enumerate(payouts.itertuples(), 1):
        ws.append([i, _text(r.number), r.pay_date, _text(r.recipient_name), _text(r.supplier_inn),
                   _text(r.recipient_kpp), _text(r.recipient_account), _text(r.recipient_bic),
                   _text(r.contract_no), to_decimal(int(r.amount)), STATUS_RU.get(r.status, r.status)])  # fmt: skip
        _as_text(ws)
        live += int(r.amount) if r.status != PayoutStatus.CANCELLED.value else 0
        row = ws.max_row
        ws.cell(row, 3).number_format = "DD.MM.YYYY"
        ws.cell(row, 10).number_format = MONEY
        for col in (2, 5, 6, 7, 8, 9):
            ws.cell(row, col).number_format = "@"
        for cell in ws[row]:
            cell.border = BOX
        ws.cell(row, 4).alignment = Alignment(wrap_text=True, vertical="top")
    ws.append(["", "", "", "Итого к перечислению (без отменённых)", "", "", "", "", "", to_decimal(live), ""])
    total = ws.max_row
    ws.cell(total, 4).font = ws.cell(total, 10).font = Font(bold=True)
    ws.cell(total, 10).number_format = MONEY
    if refunds is not None and len(refunds):
        _refunds(ws, refunds)
    _skipped(ws, batch["skipped"])
    ws.append([])
    for who in ("Главный бухгалтер", "Руководитель"):
        ws.append([])
        ws.append(["", "", "", f"{who}  ____________________ / ____________________ /"])
    ws.append([])
    ws.append(["", "", "", "Дата  «____» ______________ 20___ г."])
    return finish_and_save(wb, path, WIDTHS, head)


def _skipped(ws, skipped: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """The suppliers owed money (or owing it) but not paid, with the reason."""
    ws.append([])
    if not skipped:
        ws.append(["", "", "", "Все поставщики с суммой к перечислению включены в реестр."])
        return
    ws.append(["", "", "", "Не перечислено"])
    ws.cell(ws.max_row, 4).font = Font(bold=True)
    ws.append(["", "", "", "Поставщик", "ИНН", "", "Причина", "", "", "Сальдо, руб.", ""])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for s in skipped:
        ws.append(["", "", "", _text(s["name"]), _text(s["inn"]), "", _text(s["reason"]), "", "",
                   to_decimal(int(s["balance"])), ""])  # fmt: skip
        _as_text(ws)
        ws.cell(ws.max_row, 10).number_format = MONEY
        ws.cell(ws.max_row, 5).number_format = "@"


def _refunds(ws, refunds: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    """The refunds to payers of the date: their orders, the payment each returns, the total."""
    ws.append([])
    ws.append(["", "", "", "Возвраты плательщикам"])
    ws.cell(ws.max_row, 4).font = Font(bold=True)
    ws.append(REFUND_HEADER)
    style_header(ws[ws.max_row])
    live = 0
    for i, r in enumerate(refunds.itertuples(), 1):
        ws.append([i, _text(r.order_number), r.order_date, _text(r.payer_name), _text(r.inn), f"№ {r.id}",
                   _text(r.account), _text(r.bic), f"ID {r.payment_id}", to_decimal(int(r.amount)),
                   REFUND_STATUS_RU.get(r.status, r.status)])  # fmt: skip
        _as_text(ws)
        live += int(r.amount) if r.status != RefundStatus.CANCELLED.value else 0
        row = ws.max_row
        ws.cell(row, 3).number_format = "DD.MM.YYYY"
        ws.cell(row, 10).number_format = MONEY
        for col in (2, 5, 7, 8):
            ws.cell(row, col).number_format = "@"
        for cell in ws[row]:
            cell.border = BOX
        ws.cell(row, 4).alignment = Alignment(wrap_text=True, vertical="top")
    ws.append(["", "", "", "Итого возвратов (без отменённых)", "", "", "", "", "", to_decimal(live), ""])
    ws.cell(ws.max_row, 4).font = ws.cell(ws.max_row, 10).font = Font(bold=True)
    ws.cell(ws.max_row, 10).number_format = MONEY
