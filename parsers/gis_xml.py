"""ГИС ЖКХ payment notifications: ``importNotificationsOfOrderExecutionRequest`` (XSD 14.4.0.1).

The file is the request itself, or the request in the Body of a SOAP 1.1/1.2 envelope (with a
header and an XML-DSig signature, which are ignored: signatures are not verified here). Each
``NotificationOfOrderExecutionType`` becomes one payment: ``OrderID`` is the operation id,
``Amount`` is in kopecks, ``PaymentDocumentID`` (ИПД) is the УИП, ``UnifiedAccountNumber`` the
ЕЛС, ``AccountNumber`` the ЛС, ``Year``/``Month`` the period and ``RecipientInfo/INN`` the
supplier (the fields and their rules: ``parsers.gis_fields``). The format declares no control
totals.

Reading: a simply shaped file (``parsers.gis_blocks.probe``) is cut into blocks of whole
notifications that two threads check with libxml2 (outside the GIL) and read from their bytes
(``parsers.gis_tokens``); ``raw`` is then the notification's own source text. Anything else (a
block with comments or attributes, a signature between notifications, an odd file) is read the
streaming way: ``lxml.etree.iterparse`` on the notifications' and the fields' end events, each
notification cleared once read, so memory stays flat whatever the file size; ``raw`` is then the
notification as lxml serialises it. Both ways give the same fields, line numbers, errors and
chunks (of exactly ``chunk_rows`` notifications, then the rest).

Security: the parser never resolves entities, never loads a DTD, never touches the network and
keeps libxml2's size limits (``huge_tree=False``: a text node over 10 MB is an error). Any
DOCTYPE is refused outright as a bad file, first by a byte scan of the prolog, then (for
encodings the scan cannot see, e.g. UTF-16) by the parsed document's info at the first event;
the block reader only takes files whose prolog it has parsed without one.

With ``xsd_dir``, every notification is validated against the official schema
(``parsers.gis_xsd``); one that fails, or that lacks a readable ``OrderID``/``OrderDate``/
``Amount``, is a ``LineError`` and the others are still read.

A file that breaks mid-way (truncated, not well-formed) raises ``BadFile`` from the iterator,
possibly after some chunks were already yielded. Callers must treat any exception during the
iteration as BAD_FILE for the whole file and discard the chunks they got (the register is
quarantined whole, never loaded in part).
"""

from __future__ import annotations

import io
import re
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from parsers.base import BadFile, Chunk, read_head
from parsers.gis_blocks import (
    BLOCK_BYTES,
    RAW_LIMIT,
    SAFE_OPTIONS,
    SIGNATURE,
    SOAP_BODIES,
    Layout,
    NotSimple,
    probe,
    read_blocks,
    read_fast,
)
from parsers.gis_fields import FIELDS, LEAVES, NOTIFICATION, NOTIFICATION_139
from parsers.gis_frame import Batch, build_chunk, concat, from_rows
from parsers.gis_hidden import hidden_notifications
from parsers.gis_xsd import MAX_MESSAGE, REQUEST, NotificationValidator, request_mismatch

__all__ = ["NOTIFICATION", "RAW_LIMIT", "GisXmlParser", "has_doctype", "raw_xml"]

WORKERS = 2
# A notification carries ~1 KB of its own XML (the ``raw`` kept for provenance) besides its fields:
# a chunk of the parsers' usual 100k weighed ~950 MB in the parser's hands, 40k ~500 MB, at the
# same CPU (docs/PERFORMANCE.md, «Session 14»); intake holds the night's peak while it runs.
GIS_CHUNK_ROWS = 40_000
# Notifications of any namespace too: one of another namespace is a record the file holds
# (``parsers.census`` counts it), never skipped unseen.
_EVENT_TAGS = (*LEAVES, NOTIFICATION, NOTIFICATION_139, "{*}NotificationOfOrderExecutionType")
_STREAM_BATCH = 10_000  # notifications per batch handed over by the streaming reader
_ROOT_RE = re.compile(rb"<(?:([A-Za-z_][\w.\-]*):)?importNotificationsOfOrderExecutionRequest[\s/>]")
_FIRST_TAG = re.compile(rb"<[A-Za-z_]")
_DOCTYPES = tuple("<!DOCTYPE".encode(enc) for enc in ("ascii", "utf-16-le", "utf-16-be"))
_XSD_LINE = re.compile(r"^XSD: line (\d+): ")
_BAD_DOCTYPE = "the XML declares a DOCTYPE (DTDs and entities are refused)"


def raw_xml(note: etree._Element) -> str:
    """The notification's XML for provenance, without the namespace declarations lxml repeats on
    its start tag (the notification has no attributes of its own), cut to ``RAW_LIMIT``."""
    text = etree.tostring(note, encoding="unicode", with_tail=False)
    end = text.find(">")
    cut = text.find(" xmlns", 0, end)
    if cut != -1:
        text = text[:cut] + text[end - 1 if text[end - 1] == "/" else end :]
    return text[:RAW_LIMIT]


def has_doctype(head: bytes) -> bool:
    """Whether the prolog in ``head`` declares a DOCTYPE (UTF-16 heads are searched whole)."""
    first = _FIRST_TAG.search(head)
    prolog = head if first is None else head[: first.start()]
    return _DOCTYPES[0] in prolog or any(marker in head for marker in _DOCTYPES[1:])


class GisXmlParser:
    """Register parser for ГИС ЖКХ ``importNotificationsOfOrderExecutionRequest`` files."""

    name = "gis_xml"
    format = "xml"

    def __init__(
        self, xsd_dir: Path | None = None, *, chunk_rows: int = GIS_CHUNK_ROWS, workers: int = WORKERS,
        block_bytes: int = BLOCK_BYTES,
    ) -> None:  # fmt: skip
        self.xsd_dir = xsd_dir
        self.validator = NotificationValidator(xsd_dir) if xsd_dir is not None else None
        self._validators = threading.local()  # a schema's error log is not thread-safe: one each
        self.chunk_rows = chunk_rows
        self.workers = workers
        self.block_bytes = block_bytes

    def identify(self, path: Path, head: bytes) -> bool:
        """Whether ``head`` is XML with a payment-notifications request element, in whatever namespace:
        ``parse`` refuses another namespace or version naming it (a bare "not a register" would not)."""
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            return False
        return _ROOT_RE.search(head) is not None

    def parse(self, path: Path) -> Iterator[Chunk]:
        """Stream the notifications as chunks; ``BadFile`` (possibly mid-stream) if unreadable."""
        path = Path(path)
        if has_doctype(read_head(path)):
            raise BadFile(path, _BAD_DOCTYPE)
        mismatch = request_mismatch(path)
        if mismatch is not None:
            raise BadFile(path, mismatch)
        try:
            yield from self._chunks(path)
        except etree.XMLSyntaxError as exc:
            raise BadFile(path, f"not well-formed XML: {exc}") from exc

    def _chunks(self, path: Path) -> Iterator[Chunk]:
        """Chunks of exactly ``chunk_rows`` notifications (the last one: the rest, maybe none)."""
        file, meta = str(path), {"schema": "xsd" if self.validator is not None else "none"}
        pending: list[Batch] = []
        size = 0
        plain = [True]  # cleared when some part of the file was not plainly written
        for batch in self._batches(path, plain):
            pending.append(batch)
            size += len(batch)
            while size >= self.chunk_rows:
                whole = concat(pending)
                yield build_chunk(file, whole.slice(0, self.chunk_rows), meta)
                rest = whole.slice(self.chunk_rows, len(whole))
                pending, size = [rest], len(rest)
        last = build_chunk(file, concat(pending) if pending else self._empty(), meta)
        if not plain[0]:
            # Notification tags in comments, processing instructions or CDATA are records of the
            # file too (``parsers.census`` counts them): the last chunk declares them.
            hidden = hidden_notifications(path)
            errors = tuple(sorted((*last.errors, *hidden.errors), key=lambda e: e.line_no))
            last = replace(last, errors=errors, non_payments=hidden.non_payments)
        yield last

    def _empty(self) -> Batch:
        return from_rows([], None if self.validator is None else [])

    def _batches(self, path: Path, plain: list[bool]) -> Iterator[Batch]:
        """The file's notifications in order: in blocks when its shape allows, else streamed;
        ``plain[0]`` is cleared when any of it is streamed."""
        layout = probe(path)
        if layout is None:
            plain[0] = False
            yield from self._stream(path, str(path))
            return
        done = 0
        try:
            for batch, fast in self._blocks(path, layout):
                done += len(batch)
                plain[0] = plain[0] and fast
                yield batch
        except (NotSimple, etree.XMLSyntaxError):
            # A block that does not parse: a cut in a comment, or a broken file. The streaming
            # reader knows which, and says where; it goes on after the notifications already read.
            plain[0] = False
            yield from self._stream(path, str(path), skip=done)

    def _blocks(self, path: Path, layout: Layout) -> Iterator[tuple[Batch, bool]]:
        """Blocks read by ``workers`` threads, handed over in file order (a few in flight), each with
        whether it was read from its bytes (plainly written)."""
        with path.open("rb") as handle, ThreadPoolExecutor(self.workers, "gis-xml") as pool:
            inflight: deque[Future[tuple[Batch, bool]]] = deque()
            try:
                for index, (lines, wrapped) in enumerate(read_blocks(handle, layout, self.block_bytes)):
                    inflight.append(pool.submit(self._block, path, layout, wrapped, lines, index == 0))
                    while inflight and (len(inflight) > 2 * self.workers or inflight[0].done()):
                        yield inflight.popleft().result()
                while inflight:
                    yield inflight.popleft().result()
            finally:
                for future in inflight:
                    future.cancel()

    def _block(self, path: Path, layout: Layout, wrapped: bytes, lines: int, first: bool) -> tuple[Batch, bool]:
        """One block (in a worker thread): from its bytes when plainly written, else by the streaming
        rules; and which of the two."""
        validate = self._validate if self.validator is not None else None
        batch = read_fast(layout, wrapped, lines, validate)
        if batch is not None:
            return batch, True
        source = io.BytesIO(wrapped)
        batches = list(self._stream(path, source, lines=lines, first=first, whole=False))
        return (concat(batches) if batches else self._empty()), False

    def _stream(
        self, path: Path, source: str | BinaryIO, *, lines: int = 0, first: bool = True, whole: bool = True,
        skip: int = 0,
    ) -> Iterator[Batch]:  # fmt: skip
        """Notifications of ``source`` (the file, or a block ``lines`` line breaks into it) read from
        the end events of the leaves and notifications; the first ``skip`` ones are left out."""
        events = etree.iterparse(source, events=("end",), tag=_EVENT_TAGS, **SAFE_OPTIONS)
        leaves, notification, width = LEAVES, NOTIFICATION, len(FIELDS)
        rows: list[list] = []
        reasons: list[str | None] | None = None if self.validator is None else []
        row: list = [None] * width
        seen = 0
        for _, element in events:
            leaf = leaves.get(element.tag)
            if leaf is not None:
                if element.getparent().tag == leaf[0]:
                    row[leaf[1]] = element.text
                continue
            if element.tag != notification and element.tag != NOTIFICATION_139:
                raise BadFile(path, f"line {element.sourceline + lines}: {element.tag} is not a notification of "
                                    "the payment namespace")  # fmt: skip
            if seen == 0 and first:
                self._check_document(path, element)
            seen += 1
            if element.tag != notification:
                raise BadFile(path, f"line {element.sourceline + lines}: a notification of another kind")
            if seen > skip:
                row[0], row[1] = element.sourceline + lines, raw_xml(element)
                rows.append(row)
                if reasons is not None:
                    reasons.append(self._validate(element, lines))
                if len(rows) >= _STREAM_BATCH:
                    yield from_rows(rows, reasons)
                    rows, reasons = [], None if reasons is None else []
            row = [None] * width
            request = self._release(path, element, lines)
        if seen and whole:
            self._check_rest(path, request, lines)
        if seen == 0 and whole:
            root = events.root
            if root is not None and root.getroottree().docinfo.internalDTD is not None:
                raise BadFile(path, _BAD_DOCTYPE)
            raise BadFile(path, "no NotificationOfOrderExecutionType in the file")
        if rows:
            yield from_rows(rows, reasons)

    def _validate(self, note: etree._Element, lines: int) -> str | None:
        """The schema error of a notification parsed ``lines`` line breaks into the file, or None."""
        validator = getattr(self._validators, "validator", None)
        if validator is None:
            validator = self._validators.validator = NotificationValidator(self.xsd_dir)  # type: ignore[arg-type]
        reason = validator.errors(note)
        if reason is None or not lines:
            return reason
        shifted = _XSD_LINE.sub(lambda m: f"XSD: line {int(m[1]) + lines}: ", reason, count=1)
        return shifted[:MAX_MESSAGE]

    @staticmethod
    def _check_rest(path: Path, request: etree._Element, lines: int) -> None:
        """The request's children after its last notification: a signature only (as ``_release``
        requires before each notification); anything else would have gone unread."""
        for child in request:
            if child.tag != NOTIFICATION and child.tag != SIGNATURE:
                raise BadFile(path, f"line {child.sourceline + lines}: unexpected element {child.tag}")

    @staticmethod
    def _release(path: Path, note: etree._Element, lines: int) -> etree._Element:
        """Free a read notification and everything before it in the request (memory stays flat); the request.

        The request holds only a signature and notifications (XSD); anything else before this
        notification would have leaked its fields into it, so it makes the file bad.
        """
        note.clear(keep_tail=False)
        request = note.getparent()
        if request.tag != REQUEST:
            raise BadFile(path, f"line {note.sourceline + lines}: a notification outside the request")
        while (previous := note.getprevious()) is not None:
            if previous.tag != NOTIFICATION and previous.tag != SIGNATURE:
                raise BadFile(path, f"line {previous.sourceline + lines}: unexpected element {previous.tag}")
            del request[0]
        return request

    @staticmethod
    def _check_document(path: Path, note: etree._Element) -> None:
        """Refuse a DOCTYPE and a notification outside the request (at the root or in a SOAP Body)."""
        docinfo = note.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise BadFile(path, _BAD_DOCTYPE)
        if note.tag == NOTIFICATION_139:
            raise BadFile(path, "NotificationOfOrderExecution139Type notifications are not supported")
        request = note.getparent()
        if request is None or request.tag != REQUEST:
            raise BadFile(path, "a notification outside importNotificationsOfOrderExecutionRequest")
        holder = request.getparent()
        if holder is not None and holder.tag not in SOAP_BODIES:
            raise BadFile(path, "the request is neither the document root nor in a SOAP Body")
