"""The act of reconciliation (акт сверки взаимных расчётов) of a supplier for a month:
``act-<period>-<inn>.xlsx`` beside the supplier's statement (docs/REPORTS.md).

The center's side is filled from the ledger: the opening balance, the month's movements (payments
and reclassifications summed per day, every other movement — fee, payout, reversal — one line per
entry with its description), the turnover and the closing balance; what the center owes the
supplier is its credit. The supplier's side is left empty for the supplier to fill and sign. A few
hundred rows: openpyxl's ordinary workbook, which keeps the page setup.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from domain.ledger import EntryKind
from domain.money import format_ru, to_decimal
from reports.document_xlsx import BOX, MONEY, finish_and_save, style_header
from reports.statements import KIND_RU

HEADER = ["Дата", "Документ", "Дебет", "Кредит", "Дата", "Документ", "Дебет", "Кредит"]
WIDTHS = [11, 46, 15, 15, 11, 30, 15, 15]
SUMMED_DAILY = {EntryKind.PAYMENT: "Платежи населения", EntryKind.RECLASS: "Разнесено из невыясненных"}


class ActError(Exception):
    """An act's lines do not add up to its balances: a bug, never bad input."""


@dataclass(frozen=True)
class Party:
    """One side of the act: name and ИНН."""

    name: str
    inn: str = ""

    def title(self) -> str:
        """Name with ИНН, as the act's heading names a party."""
        return f"{self.name} (ИНН {self.inn})" if self.inn else self.name


def act_lines(moves: pd.DataFrame) -> pd.DataFrame:
    """One supplier's movements of the month (``sql.reporting.MOVEMENT_COLUMNS``, natural sign) as
    the act's lines: ``day`` (ISO text), ``document``, ``amount`` (credit positive), in date order."""
    if moves.empty:
        return pd.DataFrame(columns=["day", "document", "amount"])
    summed_kinds = moves["kind"].isin(list(SUMMED_DAILY))
    daily = moves[summed_kinds].groupby(["value_date", "kind"], sort=True)
    summed = daily.agg(amount=("amount", "sum"), count=("entry_id", "nunique")).reset_index()
    summed["document"] = summed["kind"].map(SUMMED_DAILY) + ", " + summed["count"].astype(str) + " шт."
    single = moves[~summed_kinds].groupby(["value_date", "entry_id"], sort=True)
    entries = single.agg(amount=("amount", "sum"), kind=("kind", "first"), description=("description", "first"))
    entries = entries.reset_index()
    described = entries["description"].notna() & (entries["description"].astype(str) != "")
    named = entries["kind"].map(KIND_RU).fillna(entries["kind"]).astype(str)
    entries["document"] = entries["description"].astype(str).where(described, named)
    columns = ["day", "document", "amount"]
    lines = pd.concat([summed.rename(columns={"value_date": "day"})[columns],
                       entries.rename(columns={"value_date": "day"})[columns]])  # fmt: skip
    lines = lines[lines["amount"] != 0]
    return lines.sort_values("day", kind="stable", ignore_index=True)


def write_act(path: Path, period_start: date, center: Party, supplier: Party, opening: int, closing: int,
              lines: pd.DataFrame) -> Path:  # fmt: skip
    """Write one act; ``opening``/``closing`` and ``lines`` in kopecks, credit (owed to the supplier)
    positive. ``ActError`` when the lines do not add up to closing − opening."""
    moved = int(lines["amount"].sum()) if len(lines) else 0
    if opening + moved != closing:
        raise ActError(f"act of {supplier.inn}: {opening} + {moved} != {closing}")
    last = period_start.replace(day=calendar.monthrange(period_start.year, period_start.month)[1])
    wb = Workbook()
    ws = wb.active
    ws.title = f"Акт сверки {period_start:%m.%Y}"
    ws.append(["Акт сверки взаимных расчётов"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"за период {period_start:%d.%m.%Y} – {last:%d.%m.%Y}"])
    ws.append([f"между {center.title()} и {supplier.title()}"])
    ws.append([])
    ws.append([f"По данным {center.name}, руб.", "", "", "", f"По данным {supplier.name}, руб."])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=4)
    ws.merge_cells(start_row=ws.max_row, start_column=5, end_row=ws.max_row, end_column=8)
    ws.append(HEADER)
    head = ws.max_row
    for row in (head - 1, head):
        style_header(ws[row])
    _row(ws, None, "Сальдо начальное", opening, bold=True)
    for line in lines.itertuples(index=False):
        _row(ws, date.fromisoformat(str(line.day)[:10]), str(line.document), int(line.amount))
    debit = -int(lines.loc[lines["amount"] < 0, "amount"].sum()) if len(lines) else 0
    credit = int(lines.loc[lines["amount"] > 0, "amount"].sum()) if len(lines) else 0
    _cells(ws, [None, "Обороты за период", to_decimal(debit), to_decimal(credit)], bold=True)
    _row(ws, None, "Сальдо конечное", closing, bold=True)
    ws.append([])
    ws.append([_owed(center, supplier, closing, last)])
    ws.append([])
    ws.append([f"От {center.name}", "", "", "", f"От {supplier.name}"])
    ws.append(["Главный бухгалтер ____________ /____________/", "", "", "",
               "Главный бухгалтер ____________ /____________/"])  # fmt: skip
    ws.append(["М.П.", "", "", "", "М.П."])
    return finish_and_save(wb, path, WIDTHS, head)


def _row(ws, day: date | None, document: str, amount: int, *, bold: bool = False) -> None:  # type: ignore[no-untyped-def]
    """One line of the center's side: a credit (owed to the supplier) or a debit."""
    debit, credit = (to_decimal(-amount), None) if amount < 0 else (None, to_decimal(amount))
    _cells(ws, [day, document, debit, credit], bold=bold)


def _cells(ws, values: list, *, bold: bool = False) -> None:  # type: ignore[no-untyped-def, type-arg]
    ws.append([*values, None, None, None, None])
    row = ws.max_row
    cell = ws.cell(row, 2)
    if cell.data_type == "f":  # a description from outside is never evaluated
        cell.data_type = "s"
    ws.cell(row, 1).number_format = "DD.MM.YYYY"
    for col in (3, 4, 7, 8):
        ws.cell(row, col).number_format = MONEY
    for c in ws[row]:
        c.border = BOX
        if bold:
            c.font = Font(bold=True)
    ws.cell(row, 2).alignment = Alignment(wrap_text=True, vertical="top")


def _owed(center: Party, supplier: Party, closing: int, last: date) -> str:
    """The act's conclusion, in the center's words."""
    if closing > 0:
        return (f"По данным {center.name} на {last:%d.%m.%Y} задолженность {center.name} перед {supplier.name} "
                f"составляет {format_ru(closing)} руб.")  # fmt: skip
    if closing < 0:
        return (f"По данным {center.name} на {last:%d.%m.%Y} задолженность {supplier.name} перед {center.name} "
                f"составляет {format_ru(-closing)} руб.")  # fmt: skip
    return f"По данным {center.name} на {last:%d.%m.%Y} взаимной задолженности нет."
