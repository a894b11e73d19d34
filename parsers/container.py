"""What kind of container a file is, told from its first bytes (magic numbers), never its name.

Banks name files as they please: an XLSX saved as ``.xls``, an HTML table saved as ``.xls``, a
DBF called ``.txt``. Every reader asks ``sniff`` first and reads only what the bytes say the file
is. Text is what is left when nothing binary matches.

>>> sniff(b"PK\\x03\\x04" + b"\\x00" * 26 + b"[Content_Types].xml")
<Container.ZIP: 'zip'>
>>> sniff(b"\\xd0\\xcf\\x11\\xe0\\xa1\\xb1\\x1a\\xe1" + b"\\x00" * 504)
<Container.OLE2: 'ole2'>
>>> sniff(b"<html><body><table><tr><td>1</td></tr></table></body></html>")
<Container.HTML: 'html'>
>>> sniff('<?xml version="1.0"?><a/>'.encode())
<Container.XML: 'xml'>
>>> sniff(b'<pay:importNotificationsOfOrderExecutionRequest xmlns:pay="urn:x"/>')
<Container.XML: 'xml'>
>>> sniff("15-03-2026;10-27-38;8625".encode("cp1251"))
<Container.TEXT: 'text'>
"""

from __future__ import annotations

import re
import struct
from enum import StrEnum
from pathlib import Path

from parsers.base import read_head

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File Binary: legacy .xls (BIFF8), .doc
# dBase III/IV/V, FoxBase, FoxPro, Visual FoxPro version bytes (with and without memo flags).
DBF_VERSIONS = frozenset({0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x83, 0x8B, 0x8E, 0xCB, 0xF5, 0xFB})
_HTML = re.compile(rb"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body|<table|<meta|<style)", re.I | re.S)
_XML = re.compile(rb"^\s*<\?xml\b")
# XML without a declaration (it is optional): a start tag first, after comments and processing
# instructions; checked after HTML, whose tags look the same.
_XML_ROOT = re.compile(rb"^\s*(?:<!--.*?-->\s*|<\?.*?\?>\s*)*<[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?[\s/>]", re.S)
_HTML_IN_XML = re.compile(rb"<html\b|<table\b", re.I)


class Container(StrEnum):
    """The physical kind of a file."""

    TEXT = "text"  # CSV/TXT registers, 1CClientBankExchange statements
    ZIP = "zip"  # XLSX and ODS workbooks (zip archives; ``workbook_kind`` says which)
    OLE2 = "ole2"  # legacy Excel 97-2003 (.xls, BIFF8)
    DBF = "dbf"  # dBase tables
    HTML = "html"  # a web page, often an HTML table saved with an .xls name
    XML = "xml"  # ГИС ЖКХ messages (and SpreadsheetML 2003, read as XML)
    BINARY = "binary"  # anything else that is not text


def _is_dbf(head: bytes) -> bool:
    """A dBase header: a known version byte, a plausible date, header and record lengths that fit."""
    if len(head) < 32 or head[0] not in DBF_VERSIONS:
        return False
    _, yy, mm, dd, _records, header_len, record_len = struct.unpack("<BBBBIHH", head[:12])
    if not (1 <= mm <= 12 and 1 <= dd <= 31 and yy <= 255):
        return False
    # 32-byte header, 32 bytes per field descriptor, a 0x0D terminator; a record: a deletion flag + fields
    if header_len < 65 or (header_len - 33) % 32 not in (0, 263 % 32):  # 263: Visual FoxPro's backlink
        return False
    if record_len < 2:
        return False
    end = header_len - 1
    return end >= len(head) or head[end] == 0x0D or b"\x0d" in head[32:header_len]


def sniff(head: bytes) -> Container:
    """The container of a file whose first bytes are ``head`` (see the module docstring)."""
    if head.startswith(ZIP_MAGIC):
        return Container.ZIP
    if head.startswith(OLE2_MAGIC):
        return Container.OLE2
    if _is_dbf(head):
        return Container.DBF
    body = head.removeprefix(b"\xef\xbb\xbf")
    if _XML.match(body):
        return Container.HTML if _HTML_IN_XML.search(body[:4096]) and b"<Workbook" not in body[:4096] else Container.XML
    if _HTML.match(body):
        return Container.HTML
    if _XML_ROOT.match(body):
        return Container.XML
    if b"\x00" in head[:4096]:
        return Container.BINARY
    return Container.TEXT


def sniff_file(path: Path) -> Container:
    """``sniff`` of a file's first bytes."""
    return sniff(read_head(Path(path)))


def workbook_kind(path: Path) -> str | None:
    """``xlsx`` or ``ods`` for a zip that holds a spreadsheet, else None (a zip of something else)."""
    import zipfile
    import zlib

    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mime = archive.read("mimetype")[:100]
                if b"opendocument.spreadsheet" in mime:
                    return "ods"
            if "[Content_Types].xml" in names and b"spreadsheetml" in archive.read("[Content_Types].xml"):
                return "xlsx"
    except (zipfile.BadZipFile, zlib.error, OSError, KeyError, EOFError, ValueError, RuntimeError, NotImplementedError):
        return None  # a damaged or encrypted zip is no workbook we can read
    return None
