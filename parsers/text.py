"""Text registers (CSV/TXT from banks), read by a declarative dialect (``parsers.dialect``).

One parser class serves every bank: a ``Dialect`` loaded from one YAML file says where each
field is and how it is spelled, so a new bank is a new YAML file, not new code
(docs/DIALECTS.md). The file is streamed in blocks of whole lines (``parsers.text_source``);
each block is split and normalised column-wise with pyarrow (``parsers.text_columns``) and
yielded as one ``Chunk``. A line that cannot be read becomes a ``LineError`` (with its amount when
readable, for the control totals); the footer and totals lines become ``DeclaredTotals`` on the
last chunk. Every line is accounted for: blank, comment, title, header, footer and totals lines are
recognised by pattern and counted per ``RecordKind`` in ``Chunk.non_payments``; a line of the
``skip_lines`` preamble that reads as a payment is rejected with its amount, never dropped. A
dialect with ``group_by`` (one payment over several lines) is read whole and yields one chunk.

``BadFile`` when the file is empty, binary, not text in the dialect's encodings, has a line over
64 KiB, has no data lines, or lacks a required footer. The last two are only known at the end:
callers must treat an exception during the iteration as BAD_FILE for the whole file and discard
the chunks already received (as for every parser).
"""

from __future__ import annotations

import itertools
import os
import re
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.records import DeclaredTotals, LineError, RecordKind, empty_payments, synthetic_operation_id
from parsers import text_source as ts
from parsers.base import HEAD_BYTES, BadFile, Chunk, read_head
from parsers.dialect import Dialect, is_text_dialect, load_dialect
from parsers.text_explain import diagnose
from parsers.text_footer import parse_footer
from parsers.text_layout import Layout, resolve_header
from parsers.text_records import FileValues, TotalsFound, grouped_chunk, mark, payment_lines
from parsers.text_rows import parse_rows

# Every byte but the control characters of ``text_rows.CONTROLS``: deleting them leaves only the controls.
_NOT_CONTROL = bytes(b for b in range(256) if not ((b < 0x20 and b not in (9, 10, 13)) or b == 0x7F))
HEADER_SEARCH_LINES = 30  # identify looks for the header row among this many non-blank lines
DIALECTS_DIR = Path(__file__).resolve().with_name("dialects")


def builtin_dialects() -> list[str]:
    """Names of the text dialects shipped in ``parsers/dialects/`` (files with ``format: text``)."""
    return sorted(p.stem for p in DIALECTS_DIR.glob("*.yaml") if is_text_dialect(p))


@dataclass
class _State:
    """What one parse carries from block to block."""

    skip_left: int
    layout: Layout | None
    declared: DeclaredTotals | None = None
    totals: TotalsFound = field(default_factory=TotalsFound)
    values: FileValues = field(default_factory=FileValues)  # ``file_values`` read from title lines
    footer_line: int | None = None
    header_problem: str | None = None  # why the first candidate was not the header row (diagnostics)
    data_lines: int = 0
    seen: dict[str, int] = field(default_factory=dict)  # raw line -> occurrences (synthetic ids)


class TextRegisterParser:
    """Register parser for one text dialect; name ``text:<dialect>``, format ``text``."""

    format = "text"

    def __init__(self, dialect: Dialect, *, block_bytes: int = ts.BLOCK_BYTES, workers: int | None = None) -> None:
        self.dialect = dialect
        self.name = f"text:{dialect.name}"
        self.block_bytes = block_bytes
        self.workers = workers or min(2, os.cpu_count() or 1)
        ident = dialect.identify
        self._header_re = re.compile(ident.header, re.IGNORECASE) if ident.header else None
        self._first_re = re.compile(ident.first_line) if ident.first_line else None
        # Comment, totals and file value lines are never the header or the first data line.
        declared = (*dialect.comments, *(dialect.totals.lines if dialect.totals else ()), *dialect.file_values.values())
        self._declared = [re.compile(p) for p in declared]

    @classmethod
    def from_dialect(cls, name_or_path: str | Path) -> TextRegisterParser:
        """The parser of a built-in dialect (``sber_classic``) or of a dialect YAML file's path."""
        text = str(name_or_path)
        if isinstance(name_or_path, str) and re.fullmatch(r"[A-Za-z0-9_\-]+", text):
            builtin = DIALECTS_DIR / f"{text}.yaml"
            if builtin.is_file() and is_text_dialect(builtin):
                return cls(load_dialect(builtin))
            raise ValueError(f"unknown text dialect {text!r}; built-in: {', '.join(builtin_dialects())}")
        return cls(load_dialect(Path(name_or_path)))

    def _encoding(self, head: bytes) -> str:
        return ts.detect_encoding(head) if self.dialect.encoding == "auto" else self.dialect.encoding

    def identify(self, path: Path, head: bytes) -> bool:
        """Whether the first data line (and the header, for header dialects) fits this dialect."""
        d = self.dialect
        if not head or ts.looks_binary(head):
            return False
        text = head.removeprefix(b"\xef\xbb\xbf").decode(ts.codec_of(self._encoding(head)), errors="replace")
        lines = text.split("\n")
        if len(head) >= HEAD_BYTES and len(lines) > 1:
            lines = lines[:-1]  # the head may cut the last line
        candidates = (line.rstrip("\r\x1a") for line in lines[d.skip_lines :])
        nonblank = (line for line in candidates if line.strip() and not any(r.search(line) for r in self._declared))
        layout = Layout.fixed(d)
        if d.header:  # the header row among the first lines (titles may stand above it)
            for header in itertools.islice(nonblank, HEADER_SEARCH_LINES):
                if self._header_re is not None and not self._header_re.search(header):
                    continue
                try:
                    layout = resolve_header(d, header, str(path))
                    break
                except BadFile:
                    continue
            else:
                return False
        first = next(nonblank, None)
        if first is None or (d.footer is not None and first.startswith(d.footer.prefix)):
            return False
        if not layout.line_fits(first):
            return False
        return self._first_re is None or self._first_re.search(first) is not None

    def explain(self, path: Path) -> str:
        """Why ``identify`` refuses ``path``: what was looked for and what was found closest, on one
        bounded line ("" when the file is identified); for the quarantine reason (``parsers.text_explain``)."""
        return diagnose(self.dialect, Path(path), self._declared, self.identify)

    def parse(self, path: Path) -> Iterator[Chunk]:
        """Stream the register as chunks (one per block of lines); ``BadFile`` if unreadable.

        A dialect with ``group_by`` (one payment over several lines) reads the whole file first and
        yields one chunk: the lines of a payment may lie in different blocks.
        """
        if not self.dialect.group_by:
            yield from self._stream(path)
            return
        chunks = list(self._stream(path))
        if chunks:
            yield grouped_chunk(str(path), chunks)

    def _stream(self, path: Path) -> Iterator[Chunk]:
        """The chunks of ``parse``, one per block of lines.

        Blocks are prepared in order (preamble, footer, line numbers: the state of the file) and
        their rows normalised by up to ``workers`` threads (pyarrow releases the GIL); chunks are
        yielded in file order, at most ``workers`` + 1 of them in memory.
        """
        path = Path(path)
        file = str(path)
        head = read_head(path)
        if not head.strip(b" \t\r\n\x1a"):
            raise BadFile(path, "empty file")
        if ts.looks_binary(head):
            raise BadFile(path, "binary data, not a text register")
        encoding = self._encoding(head)
        codec = ts.codec_of(encoding)
        problem = ts.strict_head_problem(head, codec) if codec == "utf-8" and self.dialect.encoding != "auto" else None
        if problem:  # a dialect with a fixed UTF-8 encoding refuses a file whose start is not UTF-8 at all
            raise BadFile(path, problem)
        d = self.dialect
        state = _State(skip_left=d.skip_lines, layout=None if d.header else Layout.fixed(d))
        meta = {"dialect": d.name, "encoding": encoding}
        pending: Chunk | None = None
        with path.open("rb") as handle, ThreadPoolExecutor(self.workers, "text-parse") as pool:
            inflight: deque[Future[Chunk]] = deque()
            for first_line, block in ts.read_blocks(handle, file, self.block_bytes):
                job = self._prepare(file, first_line, block, codec, state, encoding)
                inflight.append(pool.submit(self._rows, file, state.layout, meta, *job))
                while inflight and (len(inflight) > self.workers or inflight[0].done()):
                    if pending is not None:
                        yield pending
                    pending = self._ordered(inflight.popleft().result(), state)
            while inflight:
                if pending is not None:
                    yield pending
                pending = self._ordered(inflight.popleft().result(), state)
        if state.data_lines == 0:
            where = f" (first refusal: {state.header_problem})" if state.header_problem else ""
            raise BadFile(path, "no data lines" if state.layout is not None else f"no header row{where}")
        if d.footer is not None and d.footer.required and state.footer_line is None:
            raise BadFile(path, f"no footer line starting with {d.footer.prefix!r} (the file may be cut short)")
        if d.totals is not None and d.totals.required and not state.totals.values:
            raise BadFile(path, "no totals line (the file may be cut short)")
        if pending is not None:
            yield replace(pending, declared=state.totals.merged(state.declared))

    def _prepare(self, file: str, first_line: int, block: bytes, codec: str, state: _State, encoding: str) -> tuple:
        """One block, in file order: split into lines, classify the non-payment lines by pattern
        (counted per ``RecordKind``), read footer and totals lines, reject payment-like lines of
        the preamble, mark lines that are rejected whatever they hold."""
        d = self.dialect
        # CRLF to LF on the bytes (cheaper than on the text or per line); the block ends before
        # its last LF, so a CR may be left at its very end. Ctrl-Z (DOS end of file) ends a file.
        block = block.replace(b"\r\n", b"\n").removesuffix(b"\r").removesuffix(b"\x1a")
        controls = bool(block.translate(None, _NOT_CONTROL))
        text, bad_lines = ts.decode_block(block, codec)
        lines = pc.split_pattern(pa.array([text], pa.string()), "\n").flatten()
        del text
        lengths = pc.utf8_length(lines).to_numpy()
        if len(lengths) and lengths.max() > ts.MAX_LINE_BYTES:
            at = first_line + int(np.argmax(lengths > ts.MAX_LINE_BYTES))
            raise BadFile(file, f"line {at} is longer than {ts.MAX_LINE_BYTES} characters")
        line_no = np.arange(first_line, first_line + len(lines), dtype=np.int64)
        marks = mark(d, lines, controls)
        counts = Counter({RecordKind.BLANK: int(marks.blank.sum()), RecordKind.COMMENT: int(marks.comment.sum())})
        keep = marks.other
        errors: list[LineError] = []
        start = min(state.skip_left, len(lines))
        state.skip_left -= start
        if start:
            errors += self._preamble(file, lines, line_no, keep, start, state, counts)
        if state.layout is None:  # header dialect: the first line naming every column; titles before it
            found = np.flatnonzero(keep)
            at = self._find_header(file, lines, line_no, found, state)
            titles = found if at is None else found[found < at]
            counts[RecordKind.TITLE] += len(titles)
            keep[titles] = False
            if at is not None:
                keep[at] = False
                counts[RecordKind.HEADER] += 1
        if state.layout is not None and (d.comments or d.totals is not None or d.file_values):
            # A comment, totals or file value pattern that also catches payment lines must not hide them.
            at = np.flatnonzero(marks.comment | marks.totals | marks.title)
            reason = "a payment line matching the comment or totals pattern of the dialect"
            if d.file_values:
                reason = "a payment line matching the comment, totals or file_values pattern of the dialect"
            like, found = payment_lines(state.layout, file, lines, line_no, at, reason)
            errors += found
            counts[RecordKind.COMMENT] -= int(marks.comment[at[like]].sum())
            marks.comment[at[like]] = marks.totals[at[like]] = marks.title[at[like]] = False
        for i in np.flatnonzero(marks.totals):
            counts[RecordKind.TOTALS] += 1
            problem = state.totals.read(d, lines[int(i)].as_py())
            if problem:
                counts[RecordKind.TOTALS] -= 1
                errors.append(LineError(file, int(line_no[i]), problem, lines[int(i)].as_py()))
        for i in np.flatnonzero(marks.footer):
            raw, n = lines[int(i)].as_py(), int(line_no[i])
            if state.footer_line is not None:
                errors.append(LineError(file, n, "a second footer line", raw))
                continue
            state.footer_line = n
            state.declared, problem = parse_footer(d, raw)
            if problem:
                errors.append(LineError(file, n, problem, raw))
            else:
                counts[RecordKind.FOOTER] += 1
        for i in np.flatnonzero(marks.title):  # values of the whole file (file_values): above the payments
            raw = lines[int(i)].as_py()
            problem = state.values.read(d, raw, state.data_lines > 0 or bool(keep[:i].any()))
            if problem:
                errors.append(LineError(file, int(line_no[i]), problem, raw))
            else:
                counts[RecordKind.TITLE] += 1
        forced: dict[int, str] = {int(line_no[i]): f"not valid {encoding} text" for i in bad_lines if keep[i]}
        if state.footer_line is not None:
            for n in line_no[keep & (line_no > state.footer_line)]:
                forced.setdefault(int(n), "data after the footer line")
        rows = np.flatnonzero(keep)
        state.data_lines += len(rows)
        data = lines if len(rows) == len(lines) else lines.filter(pa.array(keep))
        counts = Counter({str(k): v for k, v in counts.items() if v})
        return data, line_no[rows], forced, controls, errors, dict(counts), dict(state.values.values)

    def _find_header(
        self, file: str, lines: pa.Array, line_no: np.ndarray, candidates: np.ndarray, state: _State
    ) -> int | None:
        """The position of the first of ``candidates`` that is the header row (it fits
        ``identify.header`` and names every column), setting the file's layout; None if none is."""
        for i in candidates:
            line = lines[int(i)].as_py()
            if self._header_re is not None and not self._header_re.search(line):
                state.header_problem = state.header_problem or f"line {int(line_no[i])} does not match identify.header"
                continue
            try:
                state.layout = resolve_header(self.dialect, line, file, int(line_no[i]))
            except BadFile as exc:
                state.header_problem = state.header_problem or exc.reason
                continue
            return int(i)
        return None

    def _preamble(
        self, file: str, lines: pa.Array, line_no: np.ndarray, keep: np.ndarray, start: int, state: _State,
        counts: Counter,
    ) -> list[LineError]:  # fmt: skip
        """The first ``start`` lines of the block lie in the ``skip_lines`` preamble: a line no
        pattern recognised is the header (header dialects: the first naming every column), a title, or,
        when it reads as a payment, rejected with its amount (the preamble was shorter than the
        dialect says: dropping it would lose the money)."""
        d = self.dialect
        errors: list[LineError] = []
        candidates = np.flatnonzero(keep[:start])
        keep[:start] = False
        if not len(candidates):
            return errors
        if state.layout is None:  # the header row may lie in the preamble
            at = self._find_header(file, lines, line_no, candidates, state)
            if at is not None:
                counts[RecordKind.HEADER] += 1
                counts[RecordKind.TITLE] += int((candidates < at).sum())
                candidates = candidates[candidates > at]
        if state.layout is None:
            counts[RecordKind.TITLE] += len(candidates)
            return errors
        reason = f"a payment line within the first {d.skip_lines} lines (skip_lines): the header may be shorter"
        like, errors = payment_lines(state.layout, file, lines, line_no, candidates, reason)
        counts[RecordKind.TITLE] += int((~like).sum())
        return errors

    def _rows(
        self, file: str, layout: Layout, meta: dict[str, str], lines: pa.Array, line_no: np.ndarray,
        forced: dict[int, str], controls: bool, errors: list[LineError], counts: dict[str, int],
        values: dict[str, str],
    ) -> Chunk:  # fmt: skip
        """The payments and line errors of a prepared block (runs in a worker thread)."""
        if len(lines) and layout is not None:
            payments, row_errors = parse_rows(self.dialect, layout, file, lines, line_no, forced, controls, values)
        else:
            payments, row_errors = empty_payments(), []
        errors = sorted(errors + row_errors, key=lambda e: e.line_no)
        return Chunk(payments=payments, errors=tuple(errors), declared=None, meta=dict(meta), non_payments=counts)

    def _ordered(self, chunk: Chunk, state: _State) -> Chunk:
        """Steps that need the chunks in file order: synthetic operation ids for dialects without one.

        The id is derived from the line itself and how often that exact line occurred so far, so
        two identical legitimate payments stay two, and a file sent again gets the same ids.
        """
        if "operation_id" in self.dialect.fields or self.dialect.group_by or not len(chunk.payments):
            return chunk
        seen = state.seen
        ids = []
        for text in chunk.payments["raw"]:
            seen[text] = seen.get(text, 0) + 1
            ids.append(synthetic_operation_id(text, seen[text]))
        chunk.payments["operation_id"] = pd.Series(ids, index=chunk.payments.index, dtype=object)
        return chunk
