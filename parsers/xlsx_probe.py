"""A cheap look at the first rows of an XLSX file's first sheet, for ``identify``.

calamine loads a whole sheet before giving its first row (1.5 s for a 200,000-row register), too
slow for a question asked of every file. This reads only the beginning of the first worksheet's
XML and of the shared-strings table (each bounded, streamed from the zip) and pulls the cell texts
of the first rows out with regular expressions. It is an approximation used to decide whether a
file is worth parsing, never to read data: ``parse`` reads the sheet with calamine.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
import zlib
from pathlib import Path

_PREFIX = r"(?:[A-Za-z_][\w.-]*:)?"
_SHEET = re.compile(rf"<{_PREFIX}sheet\b[^>]*?\br:id=\"([^\"]+)\"|<{_PREFIX}sheet\b[^>]*?\bid=\"([^\"]+)\"")
_REL = re.compile(r"<Relationship\b[^>]*>")
_ROW = re.compile(rf"<{_PREFIX}row\b[^>]*?(?:/>|>(.*?)</{_PREFIX}row>)", re.S)
_CELL = re.compile(rf"<{_PREFIX}c\b([^>]*?)(?:/>|>(.*?)</{_PREFIX}c>)", re.S)
_T = re.compile(rf"<{_PREFIX}t\b[^>]*?(?:/>|>(.*?)</{_PREFIX}t>)", re.S)
_V = re.compile(rf"<{_PREFIX}v>(.*?)</{_PREFIX}v>", re.S)
_SI = re.compile(rf"<{_PREFIX}si>(.*?)</{_PREFIX}si>", re.S)
_TYPE = re.compile(r"\bt=\"(\w+)\"")
_REF = re.compile(r"\br=\"([A-Z]+)\d*\"")  # the cell's column letters: cells may be left out (empty, merged)


def _prefix(archive: zipfile.ZipFile, name: str, limit: int) -> str:
    with archive.open(name) as member:
        return member.read(limit).decode("utf-8", errors="replace")


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The member name of the workbook's first sheet (workbook order, not file name order)."""
    workbook = _prefix(archive, "xl/workbook.xml", 1 << 20)
    match = _SHEET.search(workbook)
    if match is None:
        raise KeyError("no sheet in xl/workbook.xml")
    rid = match.group(1) or match.group(2)
    rels = _prefix(archive, "xl/_rels/workbook.xml.rels", 1 << 20)
    for rel in _REL.findall(rels):
        if f'Id="{rid}"' in rel:
            target = re.search(r'Target="([^"]+)"', rel)
            if target:
                value = target.group(1)
                return value.lstrip("/") if value.startswith("/") else posixpath.normpath(f"xl/{value}")
    raise KeyError(f"sheet relation {rid} not found")


def _texts(fragment: str) -> str:
    return html.unescape("".join(t or "" for t in _T.findall(fragment)))


def _column(letters: str) -> int:
    """0-based column index of ``A``, ``B``, … ``AA`` …"""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def first_rows(path: Path, max_rows: int, limit: int = 256 * 1024) -> list[list[str]] | None:
    """The cell texts of up to ``max_rows`` first rows (empty rows dropped), each cell in its column
    (from the first); None when unreadable."""
    try:
        with zipfile.ZipFile(path) as archive:
            sheet = _prefix(archive, _first_sheet(archive), limit)
            names = set(archive.namelist())
            shared = _prefix(archive, "xl/sharedStrings.xml", limit) if "xl/sharedStrings.xml" in names else ""
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError, zlib.error):
        return None
    strings = [_texts(si) for si in _SI.findall(shared)]
    rows: list[list[str]] = []
    for row in _ROW.finditer(sheet):
        cells: list[str] = []
        for attrs, body in _CELL.findall(row.group(1) or ""):
            ref = _REF.search(attrs)
            if ref is not None:  # place the cell in its column, as calamine does
                cells.extend([""] * (_column(ref.group(1)) - len(cells)))
            kind = _TYPE.search(attrs)
            kind_name = kind.group(1) if kind else "n"
            value = _V.search(body or "")
            if kind_name == "inlineStr":
                cells.append(_texts(body or ""))
            elif kind_name == "s" and value is not None and value.group(1).strip().isdigit():
                index = int(value.group(1))
                cells.append(strings[index] if index < len(strings) else "")
            else:
                cells.append(html.unescape(value.group(1)) if value is not None else "")
        if any(c.strip() for c in cells):
            rows.append(cells)
        if len(rows) >= max_rows:
            break
    return rows
