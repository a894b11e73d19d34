"""The lines of a billing export, each checked on its own against the file's encoding.

The file is read whole and judged line by line, so that a few foreign lines reject those lines
instead of being stored as mojibake or refusing the whole file. Its encoding is the one most of its
lines are in: UTF-8 when it starts with a BOM, or when more of its non-ASCII lines are valid UTF-8
than are not; cp1251 otherwise (a few cp1251 lines in a UTF-8 export, or the reverse, do not decide
for the whole file as a strict decode of its head would). Then:

- UTF-8 file: a line with bytes that are not UTF-8 is rejected. A U+FFFD replacement character in
  the file counts as such, since it means the text was damaged before the export was written.
- cp1251 file: byte 0x98 (not a cp1251 character) is rejected; so is a line whose non-ASCII bytes
  are valid UTF-8 as a whole (Russian cp1251 text practically never is: its letters are UTF-8 lead
  bytes followed by letters, not continuation bytes); so is a line holding two UTF-8 Cyrillic
  letters in a row read as cp1251 — ``Р``/``С`` each followed by a character of bytes 0x80–0xBF
  (``РџР°`` for ``Па``), the sign of a UTF-8 field inside an otherwise cp1251 line. One such pair
  alone is not enough: ``Сё`` starts the real surname Сёмин.
- A line longer than ``LINE_LIMIT`` characters is rejected before it is split into fields; only its
  first characters are kept for the report.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

LINE_LIMIT = 64 * 1024  # characters; far beyond any real service line, short of a runaway field
RAW_KEPT = 1000  # characters of a rejected line kept for the report
# cp1251 characters of bytes 0x80-0xBF (0x98 is not one): what a UTF-8 continuation byte becomes
_CONTINUATIONS = bytes(b for b in range(0x80, 0xC0) if b != 0x98).decode("cp1251")
MOJIBAKE_PAIRS = "(?:[РС][" + re.escape(_CONTINUATIONS) + "]){2}"
NOT_UTF8 = "line is not valid UTF-8 (the file is UTF-8)"
NOT_CP1251 = "line holds a byte that is not cp1251 (the file is cp1251)"
UTF8_IN_CP1251 = "line is UTF-8 text in a cp1251 file; it would be stored garbled"
TOO_LONG = f"line is longer than {LINE_LIMIT} characters"


@dataclass(frozen=True)
class Lines:
    """Every line of a file: its text (``large_string``), and per line a reason it is unreadable or ``""``."""

    encoding: str
    text: pa.Array
    problems: np.ndarray  # object array of str, one per line


def read_lines(path: Path) -> Lines:
    """The file's lines decoded under its detected encoding, each judged as the module says.

    Raises ``OSError`` when the file cannot be read.
    """
    data = path.read_bytes()
    # The same bytes read as UTF-8: "\n" and "\r" are single bytes in both encodings, so lines align.
    as_utf8 = _split(data.decode("utf-8-sig", errors="replace"))
    broken = pc.match_substring(as_utf8, "\ufffd").to_numpy(zero_copy_only=False)
    utf8 = ~broken & ~pc.string_is_ascii(as_utf8).to_numpy(zero_copy_only=False)
    encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) or utf8.sum() > broken.sum() else "cp1251"
    if encoding != "cp1251":
        return _bounded(Lines(encoding, as_utf8, np.where(broken, NOT_UTF8, "").astype(object)))
    text = _split(data.decode("cp1251", errors="replace"))
    problems = np.full(len(text), "", dtype=object)
    problems[pc.match_substring(text, "\ufffd").to_numpy(zero_copy_only=False)] = NOT_CP1251
    utf8 |= pc.match_substring_regex(text, MOJIBAKE_PAIRS).to_numpy(zero_copy_only=False)
    problems[utf8] = UTF8_IN_CP1251  # UTF-8 "И" is D0 98, the byte cp1251 lacks: yet the line is UTF-8
    return _bounded(Lines(encoding, text, problems))


def _bounded(lines: Lines) -> Lines:
    """``lines`` with every line over ``LINE_LIMIT`` marked and cut to its first ``RAW_KEPT`` characters."""
    text, problems = lines.text, lines.problems
    long = pc.greater(pc.utf8_length(text), LINE_LIMIT).to_numpy(zero_copy_only=False)
    if long.any():
        problems[long] = TOO_LONG
        text = pc.if_else(pa.array(long), pc.utf8_slice_codeunits(text, 0, RAW_KEPT), text)
    return Lines(lines.encoding, text, problems)


def _split(decoded: str) -> pa.Array:
    """Lines of decoded text, any newline convention (a final newline leaves an empty last line)."""
    flat = decoded.replace("\r\n", "\n").replace("\r", "\n")
    return pc.list_flatten(pc.split_pattern(pa.array([flat], pa.large_string()), "\n"))
