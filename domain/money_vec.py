"""Column twins of ``domain.money``: whole columns of amount text to kopecks and back (pyarrow).

``parse_column`` reads a column the way ``money.parse`` reads one text, in the same ``Spelling``,
and gives per row the kopecks (int64) or the reason code of the ``AmountError`` ``parse`` would
raise; ``format_column`` writes what ``money.format_kopecks`` writes. The property tests in
tests/test_money_twins.py hold the twins to agreeing on any text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.money import AMOUNT, MISSING, NEGATIVE, TOO_LARGE, UNREADABLE, WHITESPACE, AmountError, Spelling, parse

_WS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"
_EDGES = f"^{_WS}+|{_WS}+$"
_NULL_STR = pa.scalar(None, pa.string())
_NULL_INT = pa.scalar(None, pa.int64())


@dataclass(frozen=True)
class Parsed:
    """A parsed column: ``kopecks`` (int64, null where unreadable) and ``reason`` (null where read)."""

    kopecks: pa.Array
    reason: pa.Array

    @property
    def ok(self) -> np.ndarray:
        """Per row, whether the amount was read."""
        return pc.is_valid(self.kopecks).to_numpy(zero_copy_only=False)


def _strings(values: pa.Array | pa.ChunkedArray | pd.Series | np.ndarray | list) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == pa.string() else values.cast(pa.string())
    if isinstance(values, pd.Series):
        values = values.astype(object)
    return pa.array(values, type=pa.string(), from_pandas=True)


def kopecks_column(values: pa.Array | pa.ChunkedArray | pd.Series | list, spelling: Spelling = AMOUNT) -> pa.Array:
    """Kopecks (int64) of each text in ``spelling``; null where absent or unreadable (the fast path)."""
    return _parse(_strings(values), spelling, reasons=False).kopecks


def parse_column(values: pa.Array | pa.ChunkedArray | pd.Series | list, spelling: Spelling = AMOUNT) -> Parsed:
    """``money.parse`` over a column: kopecks, and per bad row the ``AmountError.reason`` code
    (``MISSING`` for null or blank, ``UNREADABLE``, ``NEGATIVE``, ``TOO_LARGE``)."""
    return _parse(_strings(values), spelling, reasons=True)


def _parse(raw: pa.Array, spelling: Spelling, *, reasons: bool) -> Parsed:
    cleaned = raw
    if spelling.strip:
        cleaned = pc.replace_substring_regex(cleaned, _EDGES, "")
    for char in spelling.groups:
        cleaned = pc.replace_substring(cleaned, char, "")
    found = pc.extract_regex(cleaned, spelling.regex())
    matched = pc.fill_null(pc.is_valid(found), False)
    whole, frac, sign = (pc.struct_field(found, [i]) for i in (1, 2, 0))
    digits = pc.utf8_length(whole)
    # Up to 16 ruble (18 kopeck) digits always fit int64; longer ones are read one by one below.
    safe = 18 if spelling.unit == "kopecks" else 16
    limit = safe if spelling.max_digits is None else min(safe, spelling.max_digits)
    fits = pc.fill_null(pc.less_equal(digits, limit), False)
    value = pc.cast(pc.if_else(fits, whole, _NULL_STR), pa.int64())
    if spelling.unit == "rubles":
        # An absent fraction group is "" in the struct; pad "5" to "50" (5,5 = 5 rubles 50 kopecks).
        cents = pc.cast(pc.utf8_rpad(pc.if_else(pc.equal(frac, ""), "00", frac), 2, "0"), pa.int64())
        value = pc.add(pc.multiply(value, 100), cents)
    minus = pc.fill_null(pc.equal(sign, "-"), False)
    if spelling.negative:
        value = pc.if_else(minus, pc.negate(value), value)
    else:
        value = pc.if_else(minus, _NULL_INT, value)
    value = pc.if_else(matched, value, _NULL_INT)
    long = np.flatnonzero(pc.and_(matched, pc.invert(fits)).to_numpy(zero_copy_only=False))
    if spelling.max_digits is None or spelling.max_digits > safe:
        value = _read_long(raw, value, long, spelling)
    if not reasons:
        return Parsed(value, pa.nulls(len(raw), pa.string()))
    empty = pc.fill_null(pc.equal(cleaned, ""), True)
    why = pc.if_else(pc.is_valid(value), _NULL_STR, pa.scalar(UNREADABLE))
    if not spelling.negative:
        why = pc.if_else(pc.and_(matched, minus), pa.scalar(NEGATIVE), why)
    why = pc.if_else(pc.and_(matched, pc.invert(fits)), pa.scalar(TOO_LARGE), why)
    why = pc.if_else(empty, pa.scalar(MISSING), why)
    if len(long) and (spelling.max_digits is None or spelling.max_digits > safe):
        why = _long_reasons(raw, why, long, spelling)
    return Parsed(value, why)


def _read_long(raw: pa.Array, value: pa.Array, rows: np.ndarray, spelling: Spelling) -> pa.Array:
    """``value`` with the rows whose digits may not fit int64 read by ``money.parse`` (rare)."""
    if not len(rows):
        return value
    out = value.to_pylist()
    for i in rows:
        try:
            out[i] = parse(raw[int(i)].as_py(), spelling)
        except AmountError:
            out[i] = None
    return pa.array(out, pa.int64())


def _long_reasons(raw: pa.Array, why: pa.Array, rows: np.ndarray, spelling: Spelling) -> pa.Array:
    out = why.to_pylist()
    for i in rows:
        try:
            parse(raw[int(i)].as_py(), spelling)
            out[i] = None
        except AmountError as exc:
            out[i] = exc.reason
    return pa.array(out, pa.string())


MAX_RUBLES = 1e13  # beyond this, 15 significant digits no longer hold the kopecks


def number_kopecks(values: np.ndarray, *, positive: bool) -> tuple[np.ndarray, np.ndarray]:
    """Kopecks from float rubles (spreadsheet number cells) and whether each is an exact amount.

    A double carries 15 significant decimal digits faithfully (DBL_DIG = 15): any decimal of at
    most 15 significant digits, converted to the nearest double and back to 15 significant
    digits, is recovered exactly; that is also what Excel shows. So an amount typed as
    ``1234.56`` (|amount| < 10^13, i.e. at most 15 digits with the kopecks) is ``rint(x * 100)``
    kopecks provided ``x * 100`` lies within half a unit of the 15th significant digit of that
    integer; the representation error is ~10^-16 relative, millions of times smaller, and formula
    noise such as ``0.1 + 0.2 = 0.30000000000000004`` is absorbed the same way Excel's display
    absorbs it. A number that is not a whole number of kopecks at 15 digits (``12.345``) is an
    error, never rounded. ``positive``: 0 is not an amount either.
    """
    x = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        scaled = x * 100.0
        kop = np.rint(scaled)
        magnitude = np.floor(np.log10(np.maximum(np.abs(kop), 1.0)))
        # half a unit of the 15th significant digit of the kopeck integer
        tolerance = 0.5 * np.power(10.0, magnitude - 14.0)
        ok = np.isfinite(x) & (np.abs(x) < MAX_RUBLES) & (np.abs(scaled - kop) <= tolerance)
    ok &= (kop > 0) if positive else (kop >= 0)
    return np.where(ok, kop, 0).astype(np.int64), ok


def _ints(values: pa.Array | pa.ChunkedArray | pd.Series | np.ndarray | list) -> tuple[np.ndarray, np.ndarray]:
    """Int64 kopecks (0 where missing) and the missing mask."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        mask = pc.is_null(values).to_numpy(zero_copy_only=False)
        return pc.fill_null(values, 0).to_numpy(zero_copy_only=False).astype(np.int64), np.asarray(mask, dtype=bool)
    k = pd.array(pd.Series(values), dtype="Int64")
    return np.asarray(k.fillna(0), dtype=np.int64), np.asarray(k.isna(), dtype=bool)


def format_column(
    values: pa.Array | pa.ChunkedArray | pd.Series | np.ndarray | list, *, decimal: str = ".", group: str = ""
) -> pa.Array:
    """``money.format_kopecks`` over a column of int kopecks (``-1234.56``, ``-1 234,56``); null where missing.

    The rubles are left-padded to 18 places, cut into groups of three, joined with ``group`` and
    the padding trimmed off again: no per-row Python.
    """
    raw, mask = _ints(values)
    a = np.abs(raw)
    rubles = pa.array(a // 100).cast(pa.string())
    if group:  # digits and '#' are ASCII: sliced as bytes, which skips the UTF-8 decoding
        padded = pc.ascii_lpad(rubles, 18, "#").cast(pa.binary())
        parts = [pc.binary_slice(padded, i, i + 3) for i in range(0, 18, 3)]
        joined = pc.binary_join_element_wise(*parts, group.encode()).cast(pa.string())
        rubles = pc.utf8_ltrim(joined, characters="#" + group)
    frac = pc.ascii_lpad(pa.array(a % 100).cast(pa.string()), 2, "0")
    sign = pc.if_else(pa.array(raw < 0), pa.scalar("-", pa.string()), pa.scalar("", pa.string()))
    text = pc.binary_join_element_wise(sign, rubles, decimal, frac, "")
    return pc.if_else(pa.array(mask), _NULL_STR, text) if mask.any() else text
