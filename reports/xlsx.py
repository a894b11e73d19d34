"""XLSX for accountants: openpyxl write-only workbooks whose data rows are serialised vectorized.

openpyxl (write-only mode) builds the workbook's skeleton: the styles, sheet views with the
frozen header, column widths, the autofilter and its defined name — once per shape of workbook,
its widths and filter ranges then filled in per workbook (``reports.xlsx_skeleton``). Its
per-cell Python path costs 4–8 µs a cell, so 50,000 discrepancies of 16 columns would take most
of the 5 s budget alone; the data rows are therefore rendered column by column with pyarrow
compute into SpreadsheetML and spliced into the sheet parts openpyxl wrote (``<sheetData/>``),
with the style ids openpyxl registered for them. The output is an ordinary workbook (Excel,
LibreOffice, openpyxl, calamine).

Cell rules, decided once for every report:

- money is written from int kopecks as the exact two-decimal text (``1234.56``) of a numeric
  cell, never through ``float``: the value stored is exact to the kopeck. Format ``#,##0.00``
  (built-in format 4), which Excel and LibreOffice show as ``1 234,56`` under a Russian locale;
- dates are numeric date serials formatted ``DD.MM.YYYY``, so they sort, filter and sum;
- text is always an inline string (``t="inlineStr"``): no formula element is ever written, so
  text can never be evaluated. Text that a spreadsheet would take for a formula or an error
  when retyped (leading ``= + - @``, tab or CR, or an Excel error literal such as ``#N/A``) also
  gets the ``quotePrefix`` style — Excel's own marker for "typed with a leading apostrophe" —
  so editing the cell keeps it text, while the visible value stays exactly the source text;
  the same test (``reports.cells.guarded``) decides which CSV fields get a leading apostrophe;
- text longer than Excel's cell limit (32,767 UTF-16 units; openpyxl writes more, and Excel then
  repairs the file by cutting or refuses it) is cut to fit, ending with a visible marker
  ``… [обрезано символов: N]`` counted in the limit (``reports.cells.fit_cells``);
- characters XML 1.0 forbids (control characters) are dropped from text.

Every sheet prints: landscape A4, fitted to one page wide (as many pages down as it takes), the
header row repeated on every page, and the tail rows (Итого) in bold on screen and on paper.
"""

from __future__ import annotations

import os
import re
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils import get_column_letter

from reports.cells import fit_cells, guarded
from reports.xlsx_skeleton import Styles, filled, skeleton
from reports.xlsx_values import concat_utf8, date_serials, escape_text, kopecks_text, plain_array, strings, xml_text

MAX_WIDTH = 60
MAX_SHEET_ROWS = 1_048_576  # Excel's rows a sheet (and LibreOffice's since 7.4)
MIN_WIDTH = 8
KINDS = ("text", "int", "money", "date", "input")


@dataclass(frozen=True)
class Col:
    """One column of a sheet: header text, kind (``text``, ``int``, ``money`` in int kopecks,
    ``date``, or ``input`` — an empty text-formatted cell for the accountant to type into)."""

    header: str
    kind: str = "text"
    width: float | None = None  # None: fit the header and the data


@dataclass
class SheetSpec:
    """A sheet: header row, body (filtered, frozen below the header), optional tail rows (totals)
    after the autofilter range. ``body``/``tail`` columns are positional, matching ``columns``."""

    title: str
    columns: Sequence[Col]
    body: pd.DataFrame
    tail: pd.DataFrame | None = None


def sheet_title(text: str, fallback: str) -> str:
    """A valid sheet name: ``text`` if it fits Excel's rules (≤ 31 chars, none of ``[]:*?/\\``), else
    ``text`` with those characters replaced by ``-`` if that fits, else ``fallback``."""
    cleaned = re.sub(r"[\[\]:*?/\\]", "-", text).strip("'")
    return cleaned if 0 < len(cleaned) <= 31 else fallback[:31]


def _cells(col: Col, values: pd.Series | pa.Array, refs: pa.Array, st: Styles) -> pa.Array:
    """SpreadsheetML ``<c>`` elements for one column ("" where the cell is empty)."""
    n = len(refs)
    if col.kind == "input":
        return pc.binary_join_element_wise('<c r="', refs, f'" s="{st.input}"/>', "")
    if col.kind == "text":
        raw = fit_cells(values if isinstance(values, pa.Array) else strings(values))
        style = pc.if_else(guarded(raw), f' s="{st.quoted}"', f' s="{st.text}"' if st.text else "")
        body = escape_text(raw)
        cell = pc.binary_join_element_wise(
            '<c r="', refs, '"', style, ' t="inlineStr"><is><t xml:space="preserve">', body, "</t></is></c>", ""
        )
        empty = pc.or_kleene(pc.is_null(raw), pc.equal(raw, ""))
        return pc.if_else(pc.fill_null(empty, True), "", cell)
    if col.kind == "money":
        v, s = kopecks_text(values), st.money
    elif col.kind == "date":
        v, s = date_serials(values), st.date
    elif col.kind == "int":
        v, s = plain_array(pa.array(pd.array(pd.Series(values), dtype="Int64"))).cast(pa.string()), st.int
    else:
        raise ValueError(f"unknown column kind {col.kind!r}; expected one of {KINDS}")
    attr = f' s="{s}"' if s else ""
    cell = pc.binary_join_element_wise('<c r="', refs, f'"{attr}><v>', v, "</v></c>", "")
    if len(v) != n:
        raise ValueError("column length differs from the sheet's")
    return pc.fill_null(cell, "")


RENDER_SLICE = 20_000  # rows rendered to XML at a time: memory stays bounded whatever the sheet's size


def _widths(spec: SheetSpec) -> list[float]:
    """Column widths that fit the header and the longest text of each text column."""
    longest = [_min_width(c) for c in spec.columns]
    for frame in (spec.body, spec.tail):
        if frame is None or frame.empty:
            continue
        if frame.shape[1] != len(spec.columns):
            raise ValueError(f"sheet {spec.title!r}: {frame.shape[1]} columns for {len(spec.columns)} headers")
        for i, col in enumerate(spec.columns):
            if col.kind == "text":
                widest = pc.max(pc.utf8_length(strings(frame.iloc[:, i]))).as_py()
                longest[i] = max(longest[i], widest or 0)
    return [
        c.width if c.width is not None else float(min(max(n + 2, MIN_WIDTH), MAX_WIDTH))
        for c, n in zip(spec.columns, longest, strict=True)
    ]


def _render(spec: SheetSpec, st: Styles) -> Iterator[bytes]:
    """The sheet's ``<row>`` elements (header, body, tail) as UTF-8, ``RENDER_SLICE`` rows at a time."""
    header = "".join(
        f'<c r="{get_column_letter(i)}1" s="{st.header}" t="inlineStr"><is><t>{xml_text(c.header)}</t></is></c>'
        for i, c in enumerate(spec.columns, 1)
    )
    yield f'<row r="1">{header}</row>'.encode()
    start = 2
    for frame, styles in ((spec.body, st), (spec.tail, st.emboldened())):
        if frame is None or frame.empty:
            continue
        for first in range(0, len(frame), RENDER_SLICE):
            part = frame.iloc[first : first + RENDER_SLICE]
            rows = pa.array(np.arange(start, start + len(part))).cast(pa.string())
            cells = []
            for i, col in enumerate(spec.columns):
                values: pd.Series | pa.Array = part.iloc[:, i]
                if col.kind == "text":
                    values = strings(values)
                refs = pc.binary_join_element_wise(get_column_letter(i + 1), rows, "")
                cells.append(_cells(col, values, refs, styles))
            xml = pc.binary_join_element_wise('<row r="', rows, '">', *cells, "</row>", "")
            yield concat_utf8(xml)
            start += len(part)


def _min_width(col: Col) -> int:
    """Characters a column needs whatever its data: the header (it wraps beyond 30) or the kind's."""
    return max(min(len(col.header), 30), {"money": 16, "date": 11, "input": 24}.get(col.kind, 0))


def split_sheet(spec: SheetSpec, max_rows: int = MAX_SHEET_ROWS) -> list[SheetSpec]:
    """``spec`` as sheets of at most ``max_rows`` rows each, header included: the body continues on
    «<title> (2)», «<title> (3)» … (the title cut to keep Excel's 31 characters), each with the
    header row; the tail (Итого) is on the last sheet only. A sheet that fits is returned as it is."""
    tail = 0 if spec.tail is None else len(spec.tail)
    per = max_rows - 1  # the header row of every sheet
    if per < max(tail, 1):
        raise ValueError(f"sheet {spec.title!r}: {max_rows} rows a sheet cannot hold a header and {tail} tail rows")
    if len(spec.body) + tail <= per:
        return [spec]
    count = -(-(len(spec.body) + tail) // per)
    sheets = []
    for k in range(count):
        suffix = f" ({k + 1})" if k else ""
        title = spec.title[: 31 - len(suffix)] + suffix
        body = spec.body.iloc[k * per : (k + 1) * per]
        sheets.append(SheetSpec(title, spec.columns, body, spec.tail if k == count - 1 else None))
    return sheets


def write_workbook(path: Path, sheets: Sequence[SheetSpec], max_rows: int = MAX_SHEET_ROWS) -> Path:
    """Write ``sheets`` to ``path`` (atomically: a temporary file is renamed into place); a sheet
    longer than ``max_rows`` continues on further sheets (``split_sheet``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    specs = [part for whole in sheets for part in split_sheet(whole, max_rows)]
    bones = skeleton([(spec.title, len(spec.columns)) for spec in specs])
    widths = [_widths(spec) for spec in specs]
    last_rows = [1 + len(spec.body) for spec in specs]
    sheet_at = {name: k for k, name in enumerate(bones.sheet_parts)}
    now = datetime.now(UTC)
    stamp = time.localtime(now.timestamp())[:6]  # zip entries' time, as a fresh save would have it
    final_tmp = path.with_name(path.name + ".tmp")
    try:
        with zipfile.ZipFile(
            final_tmp,
            "w",
            zipfile.ZIP_DEFLATED,
            compresslevel=1,  # 3× faster than the default, ~15 % larger
        ) as dst:
            for name, item, data in bones.parts:
                k = sheet_at.get(name)
                part = filled(data, name, k, widths, last_rows, now)
                if k is None:
                    info = zipfile.ZipInfo(name, date_time=stamp)
                    info.compress_type, info.external_attr = item.compress_type, item.external_attr
                    dst.writestr(info, part)
                    continue
                _splice(dst, name, part.decode("utf-8"), specs[k], _render(specs[k], bones.styles))
        os.replace(final_tmp, path)
    finally:
        final_tmp.unlink(missing_ok=True)
    return path


def _splice(dst: zipfile.ZipFile, name: str, xml: str, spec: SheetSpec, rows: Iterator[bytes]) -> None:
    """Write the sheet part with the rows put into openpyxl's empty ``sheetData`` and a dimension."""
    match = re.search(r"<sheetData\s*/>|<sheetData>\s*</sheetData>", xml)
    if match is None:
        raise RuntimeError(f"{name}: no empty sheetData to fill (openpyxl output changed?)")
    head, tail = xml[: match.start()], xml[match.end() :]
    nrows = 1 + len(spec.body) + (0 if spec.tail is None else len(spec.tail))
    dimension = f'<dimension ref="A1:{get_column_letter(len(spec.columns))}{nrows}"/>'
    head = re.sub(r"(<sheetViews|<sheetFormatPr)", dimension + r"\1", head, count=1)
    with dst.open(name, "w", force_zip64=True) as out:
        out.write(head.encode("utf-8"))
        out.write(b"<sheetData>")
        for block in rows:
            out.write(block)
        out.write(b"</sheetData>")
        out.write(tail.encode("utf-8"))
