"""Blocks of whole notifications of a ГИС ЖКХ register, parsed by libxml2 on their own.

A register is one request (at the root or in a SOAP Body) whose children are notifications, so
the bytes between the first notification's start tag and the last one's end tag can be cut at
notification end tags into blocks, and each block parsed as a small document: the start tags of
the request and its ancestors, with the namespaces each declares, around it (so names, depth and
line breaks are as in the file). lxml releases the GIL while libxml2 parses, so blocks are read
in parallel threads.

``probe`` decides whether a file has that simple shape, conservatively: UTF-8, nothing but a
declaration, elements and blanks before the first notification (no comment, processing
instruction or DOCTYPE), only a signature in the request before it, and only end tags after the
last one. The prolog and the end are parsed (libxml2, the same safe options) as one document
with the notifications left out, so the file's frame is well-formed and the request sits where
the streaming reader expects it; any doubt means the file is read the streaming way.

A block of plainly written notifications (no comment, CDATA section or processing instruction,
and the conditions of ``parsers.gis_tokens``) is read from its bytes (``read_fast``): libxml2
only checks that it is well-formed (without building a tree unless the schema needs one), numpy
finds its tags and fields, and ``raw`` is each notification's own source text. Any other block is
read with the streaming rules by the caller; a block that does not parse (a cut inside a comment,
or a file that is not well-formed) makes the caller read the file the streaming way from there,
which is authoritative either way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa
from lxml import etree

from parsers.gis_fields import LEAVES, NOTIFICATION, NOTIFICATION_139
from parsers.gis_frame import Batch
from parsers.gis_tokens import Names, read_tokens
from parsers.gis_xsd import NS_PAYMENT, REQUEST

SAFE_OPTIONS = dict(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True,
    remove_pis=True, collect_ids=False,
)  # fmt: skip
SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
SOAP_BODIES = {
    f"{{{ns}}}Body" for ns in ("http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope")
}
RAW_LIMIT = 2000
BLOCK_BYTES = 1 << 20  # fewer, longer numpy calls; much larger blocks leave the CPU caches
MAX_BLOCK_BYTES = 64 << 20  # a longer stretch without a notification end tag: read the streaming way
# Larger blocks are read the streaming way: only a tree enforces libxml2's 10 MB text node limit.
MAX_PLAIN_BYTES = 8 << 20
_PROBE_BYTES = 1 << 20
_TAIL_BYTES = 64 << 10
_BOM = b"\xef\xbb\xbf"
_DECLARATION = re.compile(
    rb"<\?xml\s+version\s*=\s*([\"'])1\.0\1(?:\s+encoding\s*=\s*([\"'])(?P<encoding>[A-Za-z0-9._\-]+)\2)?"
    rb"(?:\s+standalone\s*=\s*([\"'])(?:yes|no)\4)?\s*\?>"
)
_NOTE_START = re.compile(rb"<((?:[A-Za-z_][\w.\-]*:)?NotificationOfOrderExecutionType)[\s/>]")
_END_TAGS = re.compile(rb"(?:\s*</[^<>]+>)*\s*")
# Comments and CDATA, processing instructions; each behind a byte that memchr finds fast (a
# two-byte search is far slower).
_UNSAFE = ((b"!", b"<!"), (b"?", b"<?"))


class NotSimple(Exception):
    """The blocks cannot be cut safely from here on: read the rest the streaming way."""


@dataclass(frozen=True)
class Layout:
    """Where the notifications are and how to parse a block of them on its own."""

    start: int  # offset of the first notification's start tag
    stop: int  # offset just after the last notification's end tag
    lines_before: int  # line breaks before ``start``
    end_tag: bytes  # a notification's end tag as the file spells it
    open_tag: bytes  # the start tags of the request and its ancestors, with their namespaces
    close_tag: bytes
    depth: int  # the request and its ancestors
    names: Names  # how the names that matter are spelt in the request's scope


def probe(path: os.PathLike | str) -> Layout | None:
    """The layout of a simply shaped register, None when it must be read the streaming way."""
    with open(path, "rb") as handle:
        head = handle.read(_PROBE_BYTES)
        size = os.fstat(handle.fileno()).st_size
        tail_from = max(0, size - _TAIL_BYTES)
        handle.seek(tail_from)
        tail = handle.read()
    begin = len(_BOM) if head.startswith(_BOM) else 0
    declaration = _DECLARATION.match(head, begin)
    if declaration is None and head.startswith(b"<?xml", begin):
        return None
    encoding = declaration["encoding"] if declaration else None
    if encoding is not None and encoding.lower() != b"utf-8":
        return None
    prolog = declaration.end() if declaration else begin
    first = _NOTE_START.search(head, prolog)
    if first is None or b"<!" in head[prolog : first.start()] or b"<?" in head[prolog : first.start()]:
        return None
    end_tag = b"</" + first[1] + b">"
    last = tail.rfind(end_tag)
    stop = tail_from + last + len(end_tag)
    if last < 0 or stop <= first.start() or not _END_TAGS.fullmatch(tail, last + len(end_tag)):
        return None
    stack = _frame(head[: first.start()], tail[last + len(end_tag) :], first[1])
    if stack is None:
        return None
    open_tag, close_tag = _wrapper(stack)
    lines = head.count(b"\n", 0, first.start())
    return Layout(first.start(), stop, lines, end_tag, open_tag, close_tag, len(stack), Names.of(stack[-1].nsmap))


def _frame(prolog: bytes, end: bytes, note_name: bytes) -> list[etree._Element] | None:
    """The request and its ancestors if prolog + end is a well-formed frame around the notifications."""
    parser = etree.XMLPullParser(events=("start", "end"), **SAFE_OPTIONS)
    stack: list[etree._Element] = []
    try:
        parser.feed(prolog)
        for event, element in parser.read_events():
            if element.tag in LEAVES or element.tag in (NOTIFICATION, NOTIFICATION_139):
                return None  # would leak into the first notification's fields, or is one
            if event == "start":
                stack.append(element)
            else:
                stack.pop()
        if not stack or stack[-1].tag != REQUEST or (len(stack) > 1 and stack[-2].tag not in SOAP_BODIES):
            return None
        request = stack[-1]
        docinfo = request.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None or any(c.tag != SIGNATURE for c in request):
            return None
        prefix, _, local = note_name.decode().rpartition(":")
        if local != "NotificationOfOrderExecutionType" or request.nsmap.get(prefix or None) != NS_PAYMENT:
            return None
        parser.feed(end)
        if any(event == "start" for event, _ in parser.read_events()):
            return None
        parser.close()
    except etree.XMLSyntaxError:
        return None
    return stack


def _wrapper(stack: list[etree._Element]) -> tuple[bytes, bytes]:
    """Start tags of ``stack`` (outermost first), each declaring the namespaces it adds, and the
    matching end tags."""
    opening, closing, scope = [], [], {}
    for element in stack:
        local = etree.QName(element).localname
        name = f"{element.prefix}:{local}" if element.prefix else local
        added = {p: uri for p, uri in element.nsmap.items() if scope.get(p, object()) != uri}
        scope = element.nsmap
        spaces = "".join(f' xmlns{":" + p if p else ""}="{_attribute(uri)}"' for p, uri in added.items())
        opening.append(f"<{name}{spaces}>")
        closing.insert(0, f"</{name}>")
    return "".join(opening).encode(), "".join(closing).encode()


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def read_blocks(handle: BinaryIO, layout: Layout, size: int = BLOCK_BYTES) -> Iterator[tuple[int, bytes]]:
    """Blocks of whole notifications in file order, each wrapped in the request's tags (a document
    of its own), with the line breaks before it."""
    fd, position, lines = handle.fileno(), layout.start, layout.lines_before
    while position < layout.stop:
        want = size
        while True:
            data = os.pread(fd, min(want, layout.stop - position), position)
            if position + len(data) >= layout.stop:
                cut = len(data)  # the last notification's end tag ends the region
                break
            cut = data.rfind(layout.end_tag)
            if cut >= 0:
                cut += len(layout.end_tag)
                break
            if want >= MAX_BLOCK_BYTES:
                raise NotSimple
            want = min(4 * want, MAX_BLOCK_BYTES)
        yield lines, b"".join((layout.open_tag, memoryview(data)[:cut], layout.close_tag))
        lines += int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8, count=cut) == 10))  # numpy: no GIL
        position += cut


def read_fast(
    layout: Layout, wrapped: bytes, lines_before: int, validate: Callable[[etree._Element, int], str | None] | None
) -> Batch | None:
    """The notifications of a wrapped block read from its bytes, None when it needs the streaming rules.

    ``etree.XMLSyntaxError`` when the block does not parse.
    """
    start, stop = len(layout.open_tag), len(wrapped) - len(layout.close_tag)
    if stop - start > MAX_PLAIN_BYTES:
        return None
    if any(wrapped.find(byte, start, stop) >= 0 and wrapped.find(marker, start, stop) >= 0 for byte, marker in _UNSAFE):
        return None
    # Well-formedness first; a tree only for the schema (the tokens enforce the namespace rules
    # that only the tree builder checks).
    target = None if validate is not None else _Nothing()
    root = etree.fromstring(wrapped, etree.XMLParser(target=target, **SAFE_OPTIONS))
    found = read_tokens(wrapped, start, stop, layout.names, layout.depth)
    if found is None:
        return None
    lines, spans, text = found
    reasons = None
    if validate is not None:
        for _ in range(layout.depth - 1):
            root = root[0]
        reasons = tuple(validate(note, lines_before) for note in root)
    return Batch(lines + lines_before, _raw(wrapped, spans), text, reasons)


class _Nothing:
    """A parser target without events: libxml2 checks the block and builds nothing."""

    def close(self) -> None:
        """End of the document."""


def _raw(wrapped: bytes, spans: np.ndarray) -> np.ndarray:
    """The source text of each ``(begin, end)`` span, at most ``RAW_LIMIT`` characters."""
    bounds = spans.astype(np.int32).ravel()
    # Strings straight from the block's bytes: the odd segments are the blanks between spans.
    segments = pa.StringArray.from_buffers(len(bounds) - 1, pa.py_buffer(bounds), pa.py_buffer(wrapped))
    raw = segments.to_numpy(zero_copy_only=False)[0::2]
    for i in np.flatnonzero(spans[:, 1] - spans[:, 0] > RAW_LIMIT):  # bytes >= characters
        raw[i] = raw[i][:RAW_LIMIT]
    return raw
