"""The openpyxl skeleton of a workbook, built once per shape and reused.

openpyxl builds what every workbook of ``reports.xlsx`` has around its data — styles, the frozen
header, print setup, column widths, the autofilter and its defined name — and building it took
~0.1 s of CPU a workbook (creating the sheets, registering the styles, ``Workbook.save``): a
month's 200 supplier statements paid it 200 times for workbooks that differ only in their
column widths and autofilter ranges. A skeleton is therefore built once per shape (the sheets'
titles and column counts) with unique numeric placeholders for those values, and each workbook
gets the skeleton's parts with the placeholders replaced by its own values, written exactly as
openpyxl writes them (``safe_string``). The creation and modification times (``docProps/core.xml``)
are the workbook's own, as openpyxl would have stamped them.
"""

from __future__ import annotations

import copy
import io
import re
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.compat.strings import safe_string
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "DD.MM.YYYY"
TEXT_FORMAT = "@"
# Placeholders: fixed-width numbers no skeleton holds otherwise, so that none is part of another.
_ROW_MARK = 700_000_000  # + sheet: the autofilter's last row
_WIDTH_MARK = 600_000_000  # + sheet × 100,000 + column: a column's width
_STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")  # core.xml's created / modified
_CORE = "docProps/core.xml"
_WORKBOOK = "xl/workbook.xml"


class Styles:
    """Style ids registered with the workbook through openpyxl (cellXfs indices in styles.xml)."""

    def __init__(self, ws: object) -> None:
        def sid(**attrs: object) -> int:
            cell = WriteOnlyCell(ws)
            for key, value in attrs.items():
                setattr(cell, key, value)
            return int(cell.style_id)

        self.header = sid(font=Font(bold=True), alignment=Alignment(wrap_text=True, vertical="top"))
        self.text = 0
        self.quoted = sid(quotePrefix=True)
        self.money = sid(number_format=MONEY_FORMAT)
        self.date = sid(number_format=DATE_FORMAT)
        self.input = sid(number_format=TEXT_FORMAT)
        self.int = 0
        # The same, bold: the tail rows (Итого).
        bold = Font(bold=True)
        self.bold_text = sid(font=bold)
        self.bold_quoted = sid(font=bold, quotePrefix=True)
        self.bold_money = sid(font=bold, number_format=MONEY_FORMAT)
        self.bold_date = sid(font=bold, number_format=DATE_FORMAT)
        self.bold_input = sid(font=bold, number_format=TEXT_FORMAT)
        self.bold_int = self.bold_text

    def emboldened(self) -> Styles:
        """These styles with the bold ones in place of the plain: for the tail rows."""
        bold = copy.copy(self)
        for name in ("text", "quoted", "money", "date", "input", "int"):
            setattr(bold, name, getattr(self, f"bold_{name}"))
        return bold


@dataclass(frozen=True)
class Skeleton:
    """A saved skeleton: its zip parts in order (``name``, ``ZipInfo``, bytes), the part of each
    sheet (by position) and the style ids its cells use."""

    parts: tuple[tuple[str, zipfile.ZipInfo, bytes], ...]
    sheet_parts: tuple[str, ...]
    styles: Styles


_CACHE: dict[tuple[tuple[str, int], ...], Skeleton] = {}
_LOCK = threading.Lock()  # run_report writes workbooks from a thread pool


def skeleton(shape: Sequence[tuple[str, int]]) -> Skeleton:
    """The skeleton of a workbook whose sheets have these (title, column count), built on first use."""
    key = tuple(shape)
    with _LOCK:
        found = _CACHE.get(key)
        if found is None:
            found = _CACHE[key] = _build(key)
        return found


def _build(shape: tuple[tuple[str, int], ...]) -> Skeleton:
    wb = Workbook(write_only=True)
    made = []
    styles: Styles | None = None
    for k, (title, ncols) in enumerate(shape):
        ws = wb.create_sheet(title)
        if styles is None:
            styles = Styles(ws)
        for i in range(1, ncols + 1):
            ws.column_dimensions[get_column_letter(i)].width = float(_WIDTH_MARK + k * 100_000 + i)
        ws.freeze_panes = "A2"
        print_setup(ws)
        ws.auto_filter.ref = f"A1:{get_column_letter(ncols)}{_ROW_MARK + k}"
        made.append(ws)
    if styles is None:
        raise ValueError("a workbook needs at least one sheet")
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as src:
        parts = tuple((item.filename, item, src.read(item.filename)) for item in src.infolist())
    return Skeleton(parts, tuple(ws.path.lstrip("/") for ws in made), styles)  # ids are assigned on save


def print_setup(ws: object) -> None:
    """Landscape, one page wide however many pages long, the header row on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = True  # the cells have no borders of their own


def filled(part: bytes, name: str, sheet: int | None, widths: Sequence[Sequence[float]],
           last_rows: Sequence[int], now: datetime) -> bytes:  # fmt: skip
    """A skeleton part with this workbook's values: ``sheet`` (its position, None when the part is
    no sheet) gets its column widths and autofilter range, the workbook part every sheet's
    filter range, ``docProps/core.xml`` the time ``now``; any other part is returned as it is."""
    if sheet is not None:
        part = _replace(part, _ROW_MARK + sheet, last_rows[sheet], name)
        for i, width in enumerate(widths[sheet], 1):
            mark = f'width="{_WIDTH_MARK + sheet * 100_000 + i}"'.encode()
            part = _replace(part, mark, f'width="{safe_string(width)}"'.encode(), name, raw=True)
    elif name == _WORKBOOK:
        for k, rows in enumerate(last_rows):
            part = _replace(part, _ROW_MARK + k, rows, name)
    elif name == _CORE:
        part = _STAMP.sub(now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode(), part)
    return part


def _replace(part: bytes, mark: int | bytes, value: int | bytes, name: str, *, raw: bool = False) -> bytes:
    old = mark if raw else str(mark).encode()
    new = value if raw else str(value).encode()
    if old not in part:
        raise RuntimeError(f"{name}: placeholder {old!r} not in the skeleton (openpyxl output changed?)")
    return part.replace(old, new)  # type: ignore[arg-type]
