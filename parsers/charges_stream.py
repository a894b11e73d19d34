"""The lines of a billing export read a batch at a time, judged as ``parsers.charges_lines`` judges
the whole file.

The file is read twice, a block of about ``batch_bytes`` at a time (cut after a newline, so that
no line and no ``\\r\\n`` straddles two blocks): the first pass only counts the lines the encoding
vote of ``parsers.charges_lines`` needs, the second decodes each block under the encoding the vote
chose and judges its lines. Nothing but one block and its lines is held at once, so a 700 MB export
needs tens of MB instead of gigabytes. Lines are numbered across the file as ``read_lines``
numbers them; ``lines_at`` reads chosen lines again (the raw text of a line rejected only once the
whole file has been seen).
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from parsers.charges_lines import (
    MOJIBAKE_PAIRS,
    NOT_CP1251,
    NOT_UTF8,
    UTF8_IN_CP1251,
    VALID_UTF8,
    Lines,
    any_non_ascii,
    as_one_binary,
    bounded,
    utf8_text,
)

BATCH_BYTES = 32 << 20  # bytes of the file per batch: ~150,000 service lines, a few tens of MB in memory
_ASCII_LINE = "^[\\x00-\\x7F]*$"


@dataclass(frozen=True)
class LineBatch:
    """Consecutive lines of the file: the index of the first (0 is the header row), their text and
    per line a reason it is unreadable or ``""`` (``parsers.charges_lines.Lines``)."""

    start: int
    text: pa.Array
    problems: np.ndarray


@dataclass(frozen=True)
class _Block:
    offset: int  # bytes from the start of the file
    size: int
    start: int  # index of its first line
    last: bool


class LineStream:
    """A billing export's lines, batch by batch (iterate it), under the encoding its lines vote for."""

    def __init__(self, path: Path, batch_bytes: int = BATCH_BYTES) -> None:
        """Read the file once for the encoding vote. Raises ``OSError`` when it cannot be read."""
        self.path, self.batch_bytes = path, max(1, int(batch_bytes))
        self.encoding = self._vote()
        self._blocks: list[_Block] = []

    def __iter__(self) -> Iterator[LineBatch]:
        """The file's lines in batches, in order; every line once."""
        self._blocks = []
        start = 0
        for offset, size, data, last in self._raw_blocks():
            batch = self._decoded(data, last, start)
            self._blocks.append(_Block(offset, size, start, last))
            start += len(batch.text)
            yield batch

    def lines_at(self, indices: np.ndarray) -> dict[int, str]:
        """The text of the lines at ``indices`` (as numbered by iteration, which must have run to its
        end): only the blocks that hold them are read again."""
        wanted = np.unique(np.asarray(indices, dtype=np.int64))
        found: dict[int, str] = {}
        if not len(wanted):
            return found
        starts = np.array([b.start for b in self._blocks], dtype=np.int64)
        where = np.searchsorted(starts, wanted, side="right") - 1
        with self.path.open("rb") as file:
            for block_no in np.unique(where):
                block = self._blocks[int(block_no)]
                file.seek(block.offset)
                batch = self._decoded(_normalised(file.read(block.size)), block.last, block.start)
                local = wanted[where == block_no] - block.start
                found.update(zip((local + block.start).tolist(), batch.text.take(pa.array(local)).to_pylist(),
                                 strict=True))  # fmt: skip
        return found

    def _raw_blocks(self) -> Iterator[tuple[int, int, bytes, bool]]:
        """(offset, size in the file, bytes with line ends made ``\\n``, whether it is the last) per block;
        the BOM is skipped.
        An empty file is one empty block, as splitting empty bytes gives one empty line."""
        with self.path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            offset = len(codecs.BOM_UTF8) if file.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8 else 0
            file.seek(offset)
            while True:
                data = file.read(self.batch_bytes)
                if data and not data.endswith(b"\n"):
                    data += file.readline()  # to the end of the line: a block never cuts one
                last = file.tell() >= size
                yield offset, len(data), _normalised(data), last
                offset += len(data)
                if last:
                    return

    def _vote(self) -> str:
        """The encoding the lines vote for (``parsers.charges_lines``): counted block by block."""
        with self.path.open("rb") as file:
            self.bom = file.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
        utf8 = invalid = non_ascii = 0
        for _, _, data, last in self._raw_blocks():
            raw = _pieces(data, last)
            try:
                text = raw.cast(pa.large_string())
            except pa.ArrowInvalid:
                valid = pc.match_substring_regex(raw, VALID_UTF8).to_numpy(zero_copy_only=False)
                ascii_ = pc.match_substring_regex(raw, _ASCII_LINE).to_numpy(zero_copy_only=False)
                utf8 += int((valid & ~ascii_).sum())
                invalid += int((~valid).sum())
                continue
            if any_non_ascii(data):
                count = int(len(text) - pc.sum(pc.string_is_ascii(text)).as_py())
                utf8, non_ascii = utf8 + count, non_ascii + count
        if not invalid:  # as ``_all_valid``: UTF-8 with a BOM or a non-ASCII byte, else (ASCII) cp1251
            return "utf-8" if self.bom or non_ascii else "cp1251"
        return "utf-8" if self.bom or utf8 > invalid else "cp1251"

    def _decoded(self, data: bytes, last: bool, start: int) -> LineBatch:
        """A block's lines decoded and judged under the file's encoding (``parsers.charges_lines``)."""
        raw = _pieces(data, last)
        try:
            text = raw.cast(pa.large_string())
            valid = None
        except pa.ArrowInvalid:
            text = None
            valid = pc.match_substring_regex(raw, VALID_UTF8).to_numpy(zero_copy_only=False)
        if self.encoding == "utf-8":
            if text is None:
                text = utf8_text(raw, valid)
            broken = pc.match_substring(text, "\ufffd").to_numpy(zero_copy_only=False)
            broken = broken if valid is None else broken | ~valid
            lines = Lines("utf-8", text, np.where(broken, NOT_UTF8, "").astype(object))
            return LineBatch(start, *_judged_text(lines))
        if text is not None:
            utf8 = ~pc.string_is_ascii(text).to_numpy(zero_copy_only=False)
        else:
            utf8 = valid & ~pc.match_substring_regex(raw, _ASCII_LINE).to_numpy(zero_copy_only=False)
        undefined = pc.match_substring(raw, b"\x98").to_numpy(zero_copy_only=False)
        utf8 |= pc.match_substring_regex(raw, MOJIBAKE_PAIRS).to_numpy(zero_copy_only=False)
        del raw, text
        decoded = pa.array([data.decode("cp1251", errors="replace")], pa.large_string())
        cp1251 = pc.list_flatten(pc.split_pattern(decoded, "\n"))
        cp1251 = cp1251 if last else cp1251.slice(0, len(cp1251) - 1)
        problems = np.full(len(cp1251), "", dtype=object)
        problems[undefined] = NOT_CP1251
        problems[utf8] = UTF8_IN_CP1251  # as ``_judged``: a UTF-8 line is that first, even with D0 98
        return LineBatch(start, *_judged_text(Lines("cp1251", cp1251, problems)))


def _judged_text(lines: Lines) -> tuple[pa.Array, np.ndarray]:
    cut = bounded(lines)
    return cut.text, cut.problems


def _normalised(data: bytes) -> bytes:
    """``\\r\\n`` and a lone ``\\r`` as ``\\n``, as ``read_lines`` does to the whole file."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in data else data


def _pieces(data: bytes, last: bool) -> pa.Array:
    """A block's lines as binary; a block but the last ends with ``\\n``, whose empty tail is no line."""
    raw = pc.list_flatten(pc.split_pattern(as_one_binary(data), b"\n"))
    return raw if last else raw.slice(0, len(raw) - 1)
