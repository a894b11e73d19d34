"""Styling and finishing a printed document built with openpyxl's ordinary workbook (the payouts
register, the payout notices, the act of reconciliation): the money format, boxed cells and the
table's header row; column widths, A4 landscape one page wide with the table's header on
every page, page numbers, and an atomic save."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

MONEY = "#,##0.00"
_THIN = Side(style="thin")
BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)  # the table's cells are boxed


def style_header(row: Sequence) -> None:  # type: ignore[type-arg]
    """A table's header row: bold, boxed, centred and wrapped."""
    for cell in row:
        cell.font, cell.border = Font(bold=True), BOX
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")


def finish_and_save(wb: Workbook, path: Path, widths: Sequence[float], header_row: int) -> Path:
    """Set the active sheet's widths and print setup, then save ``wb`` to ``path`` through a
    temporary name (a reader never sees half a file); return ``path``."""
    finish(wb, widths, header_row)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


def finish(wb: Workbook, widths: Sequence[float], header_row: int) -> None:
    """Set the active sheet's column widths and print setup (A4 landscape, one page wide, the
    table's header row on every page, page numbers)."""
    ws = wb.active
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.oddFooter.center.text = "Страница &P из &N"
