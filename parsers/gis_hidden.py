"""Notification start tags that are not elements: inside comments, processing instructions and
CDATA sections of a ГИС ЖКХ file.

``parsers.census`` counts every ``NotificationOfOrderExecutionType`` start tag of the bytes; the
XML reader sees only elements. In well-formed XML a ``<`` outside markup starts a tag, so the
only other places such a tag can be written are comments, processing instructions and CDATA
sections. They are found here lexically (a comment ends at the first ``-->``, a processing
instruction at ``?>``, a CDATA section at ``]]>``; none nests) and each tag in them is classified:

- in a comment or a processing instruction: a declared non-payment (``RecordKind.COMMENT``), the
  usual way a notification is taken out of a message by hand;
- in a CDATA section: text of a field, not a notification; rejected, with its line, so that it is
  seen.

The scan reads the file through ``mmap``; the reader only asks for it when some part of the file
was not plainly written (the block reader takes no block with ``<!`` or ``<?``, so a plain file
has none of these).
"""

from __future__ import annotations

import mmap
import re
from dataclasses import dataclass, field
from pathlib import Path

from domain.records import LineError, RecordKind

_OPENERS = re.compile(rb"<!--|<!\[CDATA\[|<\?")
_CLOSERS = {b"<!--": b"-->", b"<![CDATA[": b"]]>", b"<?": b"?>"}
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?NotificationOfOrderExecutionType[\s/>]")
_RAW = 200
_IN_CDATA = "a NotificationOfOrderExecutionType start tag inside a CDATA section: text, not a notification"


@dataclass
class Hidden:
    """What the scan found: non-payments by kind, and the rejected tags."""

    non_payments: dict[str, int] = field(default_factory=dict)
    errors: list[LineError] = field(default_factory=list)


def hidden_notifications(path: Path) -> Hidden:
    """Notification start tags inside the comments, processing instructions and CDATA sections of ``path``."""
    found = Hidden()
    with Path(path).open("rb") as handle:
        if handle.seek(0, 2) == 0:
            return found
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            line, counted = 1, 0  # line of offset ``counted``
            position = 0
            while (opener := _OPENERS.search(data, position)) is not None:
                closer = _CLOSERS[opener.group()]
                end = data.find(closer, opener.end())
                stop = len(data) if end < 0 else end
                for tag in _TAG.finditer(data, opener.end(), stop):
                    if opener.group() != b"<![CDATA[":
                        kind = RecordKind.COMMENT.value
                        found.non_payments[kind] = found.non_payments.get(kind, 0) + 1
                        continue
                    line += data[counted : tag.start()].count(b"\n")
                    counted = tag.start()
                    raw = data[tag.start() : min(stop, tag.start() + _RAW)].decode("utf-8", errors="replace")
                    found.errors.append(LineError(str(path), line, _IN_CDATA, raw, None))
                position = stop + len(closer)
    return found
