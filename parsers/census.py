"""How many physical records a file holds, counted without its dialect or profile.

The count is the other side of intake's record check: a parser classifies each record it sees as
a payment, a declared non-payment (``RecordKind``) or a rejected record, and intake requires that
the three add up to this count. It must not share the parser's logic, or a record the parser
skips would be skipped here too:

- text: lines, split at LF (CRLF counts once), a last line without LF counted, nothing else
  interpreted (blank lines, titles and footers are records);
- spreadsheets (XLSX, XLS, ODS): the rows python-calamine gives for the first sheet;
- HTML tables: ``<tr>`` elements of the first table;
- DBF: the record count of the header (deleted records included);
- XML (ГИС ЖКХ): ``NotificationOfOrderExecutionType`` start tags.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from parsers.container import Container, sniff_file
from parsers.ole2guard import checked_rows

_BLOCK = 1 << 22
_TAG_TAIL = 256  # longer than any notification start tag with its prefix
_NOTIFICATION = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?NotificationOfOrderExecutionType[\s/>]")
_TABLE = re.compile(rb"<table\b", re.I)
_TABLE_END = re.compile(rb"</table\s*>", re.I)
_ROW = re.compile(rb"<tr[\s>]", re.I)


def text_lines(path: Path) -> int:
    """Lines of a text file: LF count, plus one for a last line without LF."""
    count, last = 0, b"\n"
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (0 if last == b"\n" else 1)


def sheet_rows(path: Path) -> int:
    """Rows of the first sheet as python-calamine reads them.

    The workbook is opened from the open file, not the path: by path calamine picks its reader by
    the extension, and a workbook saved under another one (an XLSX named .xls) would not open.
    """
    import python_calamine

    with Path(path).open("rb") as handle, python_calamine.CalamineWorkbook.from_filelike(handle) as book:
        if not book.sheet_names:
            return 0
        return sum(1 for _ in book.get_sheet_by_index(0).iter_rows())


def html_rows(path: Path) -> int:
    """``<tr>`` elements of the first ``<table>`` of an HTML page."""
    data = Path(path).read_bytes()
    start = _TABLE.search(data)
    if start is None:
        return 0
    end = _TABLE_END.search(data, start.end())
    return len(_ROW.findall(data, start.end(), end.start() if end else len(data)))


def dbf_records(path: Path) -> int:
    """The record count a DBF header declares (deleted records included)."""
    with Path(path).open("rb") as handle:
        head = handle.read(8)
    return struct.unpack("<I", head[4:8])[0]


def xml_notifications(path: Path) -> int:
    """Notification elements of a ГИС ЖКХ message (start tags, any prefix), streamed.

    Each block is searched with the previous block's last bytes in front of it, so that a tag cut
    by a block boundary is found; a match lying wholly in those bytes was counted before.
    """
    count, carry = 0, b""
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            data = carry + block
            count += sum(1 for m in _NOTIFICATION.finditer(data) if m.end() > len(carry))
            carry = data[-_TAG_TAIL:]
    return count


def count_records(path: Path) -> int:
    """The physical records of a register file, by its container (see the module docstring)."""
    kind = sniff_file(path)
    if kind is Container.OLE2:
        return checked_rows(path)  # read in a capped child process: a damaged .xls can abort a reader
    if kind is Container.ZIP:
        return sheet_rows(path)
    if kind is Container.HTML:
        return html_rows(path)
    if kind is Container.DBF:
        return dbf_records(path)
    if kind is Container.XML:
        return xml_notifications(path)
    return text_lines(path)
