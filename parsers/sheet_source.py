"""Rows of a spreadsheet register's first sheet, read from whatever container its bytes say it is.

The container is told by ``parsers.container`` from the content, never the file name: an XLSX or
ODS workbook (a zip), a legacy Excel 97-2003 workbook (OLE2/BIFF8), all three read by
python-calamine (opened from the open file, so that calamine too sniffs the content and not the
extension), or an HTML page saved with an ``.xls`` name, whose first ``<table>`` is read with
lxml: one row per ``<tr>`` (as ``parsers.census.html_rows`` counts them), the text of its
``<td>``/``<th>`` cells, a cell spanning ``colspan`` columns followed by empty cells.

Rows are lists of cells as calamine gives them (``str``, ``float``, dates…; ``""`` when empty),
all of one width, numbered from 1 = the sheet's first row (calamine pads leading empty rows).
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from itertools import islice
from pathlib import Path

import python_calamine

from parsers.base import BadFile
from parsers.container import Container, sniff, workbook_kind
from parsers.ole2guard import checked_rows
from parsers.sheet_head import html_encoding, html_head, html_row, ods_head
from parsers.zipguard import ZipLimits, check_zip

NO_TABLE = "this is an HTML page, not an Excel workbook: it holds no table (saved from a browser?)"


class SheetKind(StrEnum):
    """The spreadsheet containers a register may come in."""

    XLSX = "XLSX"
    ODS = "ODS"
    XLS = "XLS"  # legacy BIFF8 in an OLE2 compound file
    HTML = "HTML"  # a web page with a table, often named .xls


def sheet_kind(path: Path, head: bytes) -> SheetKind | None:
    """The spreadsheet container of ``path`` (first bytes ``head``), None when it is not one."""
    container = sniff(head)
    if container is Container.ZIP:
        kind = workbook_kind(path)
        return None if kind is None else SheetKind(kind.upper())
    if container is Container.OLE2:
        return SheetKind.XLS
    if container is Container.HTML:
        return SheetKind.HTML
    return None


def sheet_rows(path: Path, kind: SheetKind, limits: ZipLimits) -> Iterator[list[object]]:
    """All rows of the first sheet (or first HTML table); ``BadFile`` when the file cannot be read."""
    if kind is SheetKind.HTML:
        rows = html_table(path)
        if rows is None:
            raise BadFile(path, NO_TABLE)
        return iter(rows)
    if kind in (SheetKind.XLSX, SheetKind.ODS):
        check_zip(path, limits)
    if kind is SheetKind.XLS:
        checked_rows(path)  # a damaged compound file can make calamine abort the process: a child reads it first
    return _calamine_rows(path, kind)


def head_rows(path: Path, kind: SheetKind, count: int) -> list[list[object]]:
    """The first ``count`` rows; ``BadFile`` if unreadable.

    ODS and HTML are read only as far as those rows (``parsers.sheet_head``); XLSX and XLS through
    calamine, which loads the sheet (``identify`` probes XLSX itself; a BIFF8 sheet is ≤ 65,536 rows).
    """
    if kind is SheetKind.HTML:
        rows = html_head(path, count)
        if rows is None:
            raise BadFile(path, NO_TABLE)
        return rows
    if kind is SheetKind.ODS:
        rows = ods_head(path, count)
        if rows is not None:
            return rows  # unreadable by the streamed look: calamine says why below
    return list(islice(sheet_rows(path, kind, ZipLimits()), count))


def _calamine_rows(path: Path, kind: SheetKind) -> Iterator[list[object]]:
    try:
        with Path(path).open("rb") as handle:
            book = python_calamine.CalamineWorkbook.from_filelike(handle)
        if not book.sheet_names:
            raise BadFile(path, "the workbook has no sheet")
        sheet = book.get_sheet_by_index(0)
    except BadFile:
        raise
    except Exception as exc:  # calamine's errors (zip, XML, OLE, password) all mean an unreadable workbook
        raise BadFile(path, f"not a readable {kind} workbook: {type(exc).__name__}: {exc}") from exc
    except BaseException as exc:  # a Rust panic surfaces as pyo3's PanicException (a BaseException)
        if type(exc).__name__ != "PanicException":
            raise
        raise BadFile(path, f"not a readable {kind} workbook: reader failure: {exc}") from exc
    return sheet.iter_rows()


def html_table(path: Path) -> list[list[object]] | None:
    """The first ``<table>`` of an HTML page as rows of cell texts; None when the page has no table."""
    from lxml import etree
    from lxml import html as lxml_html

    data = Path(path).read_bytes()
    try:  # a page that declares no charset is UTF-8 or cp1251, never lxml's Latin-1 guess
        root = lxml_html.document_fromstring(data, parser=lxml_html.HTMLParser(encoding=html_encoding(data)))
    except (etree.ParserError, ValueError):
        return None
    table = next(root.iter("table"), None)
    if table is None:
        return None
    rows = [html_row(tr) for tr in table.iter("tr")]
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]
