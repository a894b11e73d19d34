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
  letters in a row (bytes D0 or D1, then one of 0x80–0xBF: as cp1251, ``Р``/``С`` each followed by
  a character such as ``џ`` or ``°``, ``РџР°`` for ``Па``), the sign of a UTF-8 field inside an
  otherwise cp1251 line. One such pair alone is not enough: ``Сё`` starts the real surname Сёмин.
- A line longer than ``LINE_LIMIT`` characters is rejected before it is split into fields; only its
  first characters are kept for the report.

When every line is valid UTF-8 (Arrow's cast to text checks that, as strictly as ``VALID_UTF8``),
the vote is decided without a regex per line: UTF-8 if the file has a BOM or a non-ASCII byte,
else cp1251 with nothing to reject (ASCII reads the same in both).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

LINE_LIMIT = 64 * 1024  # characters; far beyond any real service line, short of a runaway field
RAW_KEPT = 1000  # characters of a rejected line kept for the report
# Two UTF-8 Cyrillic letters in a row (lead byte D0/D1, then a continuation byte), on the raw bytes
MOJIBAKE_PAIRS = r"(?:[\xD0\xD1][\x80-\xBF]){2}"
# A whole line of well-formed UTF-8 (no overlongs, no surrogates), matched on the raw bytes (Latin-1);
# shared with the streaming reader (parsers/charges_stream.py), as are the helpers below
VALID_UTF8 = (
    r"^(?:[\x00-\x7F]|[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]|[\xE1-\xEC\xEE\xEF][\x80-\xBF]{2}"
    r"|\xED[\x80-\x9F][\x80-\xBF]|\xF0[\x90-\xBF][\x80-\xBF]{2}|[\xF1-\xF3][\x80-\xBF]{3}|\xF4[\x80-\x8F][\x80-\xBF]{2})*$"
)
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
    bom = data.startswith(codecs.BOM_UTF8)
    data = data[len(codecs.BOM_UTF8) :] if bom else data
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    raw = pc.list_flatten(pc.split_pattern(as_one_binary(data), b"\n"))
    return _all_valid(raw, data, bom) or _judged(raw, data, bom)


def _all_valid(raw: pa.Array, data: bytes, bom: bool) -> Lines | None:
    """The common case, decided without a regex over every line: each line valid UTF-8 (Arrow's
    cast checks that as strictly as ``VALID_UTF8``). ``None`` when some line is not."""
    try:
        text = raw.cast(pa.large_string())
    except pa.ArrowInvalid:
        return None
    if not (bom or any_non_ascii(data)):
        # Pure ASCII: what ``_judged`` decides (cp1251, the same text), with no line it would reject.
        return bounded(Lines("cp1251", text, np.full(len(text), "", dtype=object)))
    broken = pc.match_substring(text, "\ufffd").to_numpy(zero_copy_only=False)
    return bounded(Lines("utf-8", text, np.where(broken, NOT_UTF8, "").astype(object)))


def _judged(raw: pa.Array, data: bytes, bom: bool) -> Lines:
    """The file's encoding by the vote of its lines, and each line judged against it (module doc)."""
    valid = pc.match_substring_regex(raw, VALID_UTF8).to_numpy(zero_copy_only=False)
    utf8 = valid & ~pc.match_substring_regex(raw, "^[\\x00-\\x7F]*$").to_numpy(zero_copy_only=False)
    if bom or utf8.sum() > (~valid).sum():
        text = utf8_text(raw, valid)
        broken = ~valid | pc.match_substring(text, "\ufffd").to_numpy(zero_copy_only=False)
        return bounded(Lines("utf-8", text, np.where(broken, NOT_UTF8, "").astype(object)))
    # On the bytes, cheaper than on text: 0x98 (undefined in cp1251), and UTF-8 Cyrillic letters in a row
    undefined = pc.match_substring(raw, b"\x98").to_numpy(zero_copy_only=False)
    utf8 |= pc.match_substring_regex(raw, MOJIBAKE_PAIRS).to_numpy(zero_copy_only=False)
    del raw
    text = pc.list_flatten(
        pc.split_pattern(pa.array([data.decode("cp1251", errors="replace")], pa.large_string()), "\n")
    )
    problems = np.full(len(text), "", dtype=object)
    problems[undefined] = NOT_CP1251
    problems[utf8] = UTF8_IN_CP1251  # UTF-8 "И" is D0 98, the byte cp1251 lacks: yet the line is UTF-8
    return bounded(Lines("cp1251", text, problems))


def as_one_binary(data: bytes) -> pa.Array:
    """The file's bytes as a one-element binary array over the same memory (no copy of the file)."""
    offsets = pa.array([0, len(data)], pa.int64()).buffers()[1]
    return pa.LargeBinaryArray.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])


def any_non_ascii(data: bytes) -> bool:
    """Whether any byte is 0x80 or above (the largest byte, without a temporary array)."""
    return bool(data) and int(np.frombuffer(data, np.uint8).max()) >= 0x80


def utf8_text(raw: pa.Array, valid: np.ndarray) -> pa.Array:
    """Binary lines as text: valid ones cast in bulk, the few invalid ones decoded with U+FFFD in place."""
    if valid.all():
        return raw.cast(pa.large_string())
    fixed = [line.decode("utf-8", errors="replace") for line in raw.filter(pa.array(~valid)).to_pylist()]
    joined = pa.concat_arrays([raw.filter(pa.array(valid)).cast(pa.large_string()), pa.array(fixed, pa.large_string())])
    order = np.argsort(np.concatenate([np.flatnonzero(valid), np.flatnonzero(~valid)]), kind="stable")
    return joined.take(order)


def bounded(lines: Lines) -> Lines:
    """``lines`` with every line over ``LINE_LIMIT`` marked and cut to its first ``RAW_KEPT`` characters."""
    text, problems = lines.text, lines.problems
    long = pc.greater(pc.utf8_length(text), LINE_LIMIT).to_numpy(zero_copy_only=False)
    if long.any():
        problems[long] = TOO_LONG
        text = pc.if_else(pa.array(long), pc.utf8_slice_codeunits(text, 0, RAW_KEPT), text)
    return Lines(lines.encoding, text, problems)
