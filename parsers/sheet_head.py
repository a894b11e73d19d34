"""The first rows of an ODS sheet or an HTML table, read without loading the rest: for ``identify``/``explain``.

calamine loads a whole sheet before giving its first row (0.8 s for a 200,000-row ODS), and lxml
a whole HTML page (5 s for 200,000 ``<tr>``): too slow for a question asked of every inbox file.
These read the file incrementally and stop after the rows asked for:

- HTML: lxml's pull parser, fed 64 KiB at a time, rows of the first ``<table>`` as
  ``sheet_source.html_table`` makes them (``<td>``/``<th>`` texts, ``colspan`` padded);
- ODS: ``content.xml`` streamed from the zip (``iterparse``), rows of the first ``table:table``;
  a repeated row or cell (``number-rows-repeated``, ``number-columns-repeated``) counts as many
  times as it says, up to the rows asked for and ``MAX_COLUMNS``; float cells as floats, dates as
  dates, everything else as the text of its paragraphs.

Legacy XLS needs no such reader: a BIFF8 sheet holds at most 65,536 rows. Like ``xlsx_probe``, a
head is used to decide whether a file is this profile's, never to read payments.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
import zipfile
import zlib
from pathlib import Path

from lxml import etree

from parsers.text_source import codec_of, detect_encoding

_BLOCK = 64 * 1024
MAX_COLUMNS = 1024  # a repeated empty cell spanning the sheet's width is not a column of data
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def html_encoding(head: bytes) -> str:
    """The page's encoding: its ``<meta charset>``, else UTF-8 when the bytes are UTF-8, else the
    Cyrillic code page that reads them (``parsers.text_source.detect_encoding``).

    Pages exported as ``.xls`` often declare nothing; lxml would then read them as Latin-1.
    """
    match = _CHARSET.search(head[:_BLOCK])
    if match is not None:
        name = match.group(1).decode("ascii", "replace")
        try:
            return codecs.lookup(name).name
        except LookupError:
            pass
    return codec_of(detect_encoding(head[:_BLOCK]))  # as for text registers: UTF-8, else cp1251 or cp866


def html_row(tr: etree._Element) -> list[object]:
    """The cells of one ``<tr>``: each ``<td>``/``<th>`` text, a ``colspan`` cell followed by empty cells."""
    row: list[object] = []
    for cell in tr:
        if cell.tag not in ("td", "th"):
            continue
        row.append(" ".join("".join(cell.itertext()).split()))
        span = cell.get("colspan", "1")
        row.extend([""] * (int(span) - 1 if span.isdigit() and 0 < int(span) < 1000 else 0))
    return row


def html_head(path: Path, count: int) -> list[list[object]] | None:
    """The first ``count`` rows of the page's first ``<table>``; None when the page has no table."""
    try:
        return _html_head(path, count)
    except (etree.LxmlError, ValueError):  # the pull parser gave up: no table it could read
        return None


def _html_head(path: Path, count: int) -> list[list[object]] | None:
    with Path(path).open("rb") as handle:
        first = handle.read(_BLOCK)
        parser = etree.HTMLPullParser(events=("start", "end"), encoding=html_encoding(first))
        table = None
        rows: list[list[object]] = []
        block = first
        while block:
            parser.feed(block)
            for event, element in parser.read_events():
                if event == "start" and element.tag == "table" and table is None:
                    table = element
                elif event == "end" and table is not None:
                    if element.tag == "tr":
                        rows.append(html_row(element))
                    if element is table or len(rows) >= count:
                        return _pad(rows[:count])
            block = handle.read(_BLOCK)
        parser.close()
    return None if table is None else _pad(rows[:count])


def ods_head(path: Path, count: int) -> list[list[object]] | None:
    """The first ``count`` rows of an ODS workbook's first sheet; None when it cannot be read."""
    rows: list[list[object]] = []
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as member:
            tables = 0
            events = etree.iterparse(member, events=("start", "end"), resolve_entities=False, no_network=True)
            for event, element in events:
                tag = element.tag
                if event == "start":
                    if tag == f"{{{_TABLE}}}table":
                        tables += 1
                    continue
                if tag == f"{{{_TABLE}}}table":
                    break
                if tag != f"{{{_TABLE}}}table-row" or tables != 1:
                    continue
                row = _ods_row(element)
                repeat = _repeat(element, "number-rows-repeated")
                rows.extend([row] * min(repeat, count - len(rows)))
                element.clear()
                if len(rows) >= count:
                    break
    except (KeyError, zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, RuntimeError,
            NotImplementedError, etree.XMLSyntaxError):  # fmt: skip
        return None
    return _pad(rows)


def _ods_row(element: etree._Element) -> list[object]:
    row: list[object] = []
    for cell in element:
        if cell.tag not in (f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell"):
            continue
        value = _ods_value(cell)
        row.extend([value] * min(_repeat(cell, "number-columns-repeated"), MAX_COLUMNS - len(row)))
    while row and row[-1] == "":  # the empty cells repeated to the sheet's width
        row.pop()
    return row


def _ods_value(cell: etree._Element) -> object:
    kind = cell.get(f"{{{_OFFICE}}}value-type")
    try:
        if kind in ("float", "currency", "percentage"):
            return float(cell.get(f"{{{_OFFICE}}}value", ""))
        if kind == "date":
            text = cell.get(f"{{{_OFFICE}}}date-value", "")
            return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
    except ValueError:
        pass
    return "\n".join("".join(p.itertext()) for p in cell.iter(f"{{{_TEXT}}}p"))


def _repeat(element: etree._Element, name: str) -> int:
    value = element.get(f"{{{_TABLE}}}{name}", "1")
    return max(int(value), 1) if value.isdigit() else 1


def _pad(rows: list[list[object]]) -> list[list[object]]:
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]
