"""A supplier's notice of one date's payouts: ``payout-<D>-<inn>.xlsx`` beside the day's payment
orders (docs/REPORTS.md, section 4). One short sheet: who pays whom, each payment order (number,
date, sum, purpose, state) and the total of those not cancelled."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from domain.money import to_decimal
from domain.payouts import PayoutStatus
from reports.document_xlsx import BOX, MONEY, finish_and_save, style_header
from reports.payouts_xlsx import STATUS_RU

HEADER = ["№ п/п", "Дата п/п", "Сумма, руб.", "Назначение платежа", "Состояние"]
WIDTHS = [10, 12, 16, 70, 16]


def write_notice(path: Path, day: date, payer_name: str, payouts: pd.DataFrame) -> Path:
    """Write the notice of one supplier's ``payouts`` (rows of the ``payout`` table) of ``day``."""
    first = payouts.iloc[0]
    wb = Workbook()
    ws = wb.active
    ws.title = f"Перечисление {day:%d.%m.%Y}"
    ws.append([f"Уведомление о перечислении денежных средств за {day:%d.%m.%Y}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"Плательщик: {payer_name}"])
    ws.append([f"Получатель: {first.recipient_name}, ИНН {first.supplier_inn}"
               + (f", КПП {first.recipient_kpp}" if first.recipient_kpp else "")])  # fmt: skip
    ws.append([f"Счёт получателя: {first.recipient_account}, БИК {first.recipient_bic}"
               + (f"; договор № {first.contract_no}" if first.contract_no else "")])  # fmt: skip
    ws.append([])
    ws.append(HEADER)
    head = ws.max_row
    style_header(ws[head])
    for r in payouts.itertuples():
        state = STATUS_RU.get(r.status, r.status)
        ws.append([str(r.number), r.pay_date, to_decimal(int(r.amount)), str(r.purpose), state])
        row = ws.max_row
        ws.cell(row, 1).number_format = "@"
        ws.cell(row, 2).number_format = "DD.MM.YYYY"
        ws.cell(row, 3).number_format = MONEY
        ws.cell(row, 4).alignment = Alignment(wrap_text=True, vertical="top")
        for cell in ws[row]:
            cell.border = BOX
            if cell.data_type == "f":  # text from outside is never evaluated
                cell.data_type = "s"
    live = int(payouts.loc[payouts["status"] != PayoutStatus.CANCELLED.value, "amount"].sum())
    ws.append(["Итого перечислено", "", to_decimal(live), "", ""])
    ws.cell(ws.max_row, 1).font = ws.cell(ws.max_row, 3).font = Font(bold=True)
    ws.cell(ws.max_row, 3).number_format = MONEY
    return finish_and_save(wb, path, WIDTHS, head)
