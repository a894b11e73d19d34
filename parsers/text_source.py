"""Bytes to lines for text registers: encoding detection and a bounded, streaming block reader.

The reader hands out blocks of whole lines (cut at the last newline of each read), so memory is
bounded by the block size whatever the file size, and a line longer than ``MAX_LINE_BYTES``
raises ``BadFile`` instead of growing a buffer without end.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from parsers.base import BadFile

BOM = b"\xef\xbb\xbf"
BLOCK_BYTES = 4 << 20  # ~30k Sber lines: memory per chunk stays small, per-call overhead negligible
MAX_LINE_BYTES = 64 * 1024
_CYRILLIC = re.compile("[А-Яа-яЁё]")
# Control bytes that never occur in a text register (tab, CR, LF and the DOS end-of-file mark do).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x19\x1b-\x1f]")


def looks_binary(head: bytes) -> bool:
    """Whether ``head`` is binary data: a NUL byte, or control bytes in more than 1 % of it."""
    if b"\x00" in head:
        return True
    return len(_CONTROL.findall(head)) * 100 > len(head)


def detect_encoding(head: bytes) -> str:
    """``utf-8-sig``, ``utf-8``, ``cp1251`` or ``cp866`` for the file starting with ``head``.

    UTF-8 is taken when ``head`` decodes strictly (a multi-byte character cut by the end of the
    head is forgiven). Otherwise the single-byte code page that yields more Cyrillic letters wins:
    cp1251 text read as cp866 turns capitals into box-drawing characters and the reverse turns
    letters into punctuation, so the right one always has more letters. A tie (no letters at all)
    goes to cp1251, the usual encoding of these files.
    """
    if head.startswith(BOM):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    cp1251 = len(_CYRILLIC.findall(head.decode("cp1251", errors="replace")))
    cp866 = len(_CYRILLIC.findall(head.decode("cp866", errors="replace")))
    return "cp866" if cp866 > cp1251 else "cp1251"


def codec_of(encoding: str) -> str:
    """The Python codec that decodes blocks (the BOM is cut off by the reader, not the codec)."""
    return "utf-8" if encoding.startswith("utf-8") else encoding


def strict_head_problem(head: bytes, codec: str) -> str | None:
    """Why ``head`` is not ``codec`` text at all (a character cut by the head's end is forgiven); None if it is."""
    try:
        head.decode(codec)
    except UnicodeDecodeError as exc:
        if not (exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"):
            return f"not {codec} text (byte {exc.start})"
    return None


def decode_block(block: bytes, codec: str) -> tuple[str, list[int]]:
    """The block as text, and the 0-based lines in it that are not valid ``codec`` text.

    The fast path decodes the whole block at once; only a block with a bad byte is decoded line
    by line, with the bad lines replaced (they become line errors, the rest still parses).
    """
    try:
        return block.decode(codec), []
    except UnicodeDecodeError:
        pass
    bad, parts = [], []
    for i, raw in enumerate(block.split(b"\n")):
        try:
            parts.append(raw.decode(codec))
        except UnicodeDecodeError:
            parts.append(raw.decode(codec, errors="replace"))
            bad.append(i)
    return "\n".join(parts), bad


def read_blocks(handle: BinaryIO, file: str, block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[int, bytes]]:
    """Blocks of whole lines as ``(number of the block's first line, bytes without the last newline)``.

    A leading UTF-8 BOM is dropped. ``BadFile`` when a line exceeds ``MAX_LINE_BYTES``.
    """
    carry, line_no, first = b"", 1, True
    while True:
        data = handle.read(block_bytes)
        if first:
            data, first = data.removeprefix(BOM), False
        if not data:
            if carry:
                yield line_no, carry
            return
        buf = carry + data if carry else data
        cut = buf.rfind(b"\n")
        if cut < 0:
            if len(buf) > MAX_LINE_BYTES:
                raise BadFile(file, f"line {line_no} is longer than {MAX_LINE_BYTES} bytes")
            carry = buf
            continue
        block, carry = buf[:cut], buf[cut + 1 :]
        tail_line = line_no + block.count(b"\n") + 1
        if len(carry) > MAX_LINE_BYTES:
            raise BadFile(file, f"line {tail_line} is longer than {MAX_LINE_BYTES} bytes")
        yield line_no, block
        line_no = tail_line
