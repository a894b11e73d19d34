"""Spreadsheet cells (as python-calamine returns them) to the values of a payment frame.

calamine gives each cell as ``str`` (``""`` when empty), ``float`` (every number: Excel stores
numbers as IEEE doubles), ``bool``, ``datetime.date``/``datetime.datetime`` (numbers with a date
format), ``datetime.time`` or ``timedelta``. Each converter takes one column of a batch of rows
and returns the converted values with, per row, the reason it could not be read (``""`` when it
could), so that one bad cell rejects its row and nothing else.

Money from a number cell is read exactly by ``domain.money_vec.number_kopecks`` (its docstring
says why a double holds it); text amounts go through the exact text rules of ``domain.money``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from domain.money import MISSING, SHEET_KOPECKS, AmountError, parse, parse_amount
from domain.money_vec import number_kopecks

T = TypeVar("T")
DATE_TYPES = (dt.date, dt.datetime)
_TEXT_DATE = re.compile(
    r"^(?:(?P<d>\d{1,2})[.\-/](?P<m>\d{1,2})[.\-/](?P<y>\d{4})|(?P<Y>\d{4})-(?P<M>\d{2})-(?P<D>\d{2}))"
    r"(?:[ T](?P<H>\d{1,2})[:\-](?P<N>\d{2})(?:[:\-](?P<S>\d{2}))?)?$"
)
_TEXT_TIME = re.compile(r"^(?P<H>\d{1,2})[:\-](?P<N>\d{2})(?:[:\-](?P<S>\d{2}))?$")
_PERIOD_PATTERNS = (
    re.compile(r"^(?P<m>\d{2})[.\-/]?(?P<y>\d{4})$"),  # MMYYYY, MM.YYYY
    re.compile(r"^(?P<y>\d{4})[.\-/](?P<m>\d{2})$"),  # YYYY-MM
    re.compile(r"^(?P<m>\d{2})[.\-/]?(?P<yy>\d{2})$"),  # MMYY, MM.YY
)


def amounts(cells: list[object], *, positive: bool, name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Kopecks for one column: (values, readable mask, reasons; ``""`` reason where readable).

    ``positive``: the amount paid must be > 0; a commission may be 0. An empty cell is unreadable.
    """
    n = len(cells)
    kop = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    reasons = [""] * n
    kinds = [type(c) for c in cells]
    num_idx = np.fromiter((i for i, k in enumerate(kinds) if k is float or k is int), dtype=np.intp)
    if len(num_idx):
        k, good = number_kopecks(np.array([cells[i] for i in num_idx], dtype=np.float64), positive=positive)
        kop[num_idx], ok[num_idx] = k, good
        for i in num_idx[~good]:
            reasons[i] = f"{name} is not a{' positive' if positive else ''} whole number of kopecks: {cells[i]!r}"
    for i, kind in enumerate(kinds):
        if kind is float or kind is int:
            continue
        text = cells[i].strip() if kind is str else None
        if not text:
            reasons[i] = f"{name} missing" if kind is str else f"{name} is not a number: {cells[i]!r}"
            continue
        try:
            value = parse_amount(text)
        except AmountError as exc:
            reasons[i] = f"{name} unreadable: {exc}"
            continue
        if positive and value == 0:
            reasons[i] = f"{name} is zero"
            continue
        kop[i], ok[i] = value, True
    return kop, ok, reasons


def kopeck_amounts(cells: list[object], *, positive: bool, name: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``amounts`` for a column whose header says коп.: each cell a whole number of kopecks."""
    n = len(cells)
    kop = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    reasons = [""] * n
    for i, cell in enumerate(cells):
        kind = type(cell)
        if (kind is float or kind is int) and float(cell).is_integer() and abs(cell) < 2**53:
            value = int(cell)
        elif kind is str:
            try:
                value = parse(cell, SHEET_KOPECKS)
            except AmountError as exc:
                missing = exc.reason == MISSING
                reasons[i] = f"{name} missing" if missing else f"{name} is not a whole number of kopecks: {cell!r}"
                continue
        else:
            reasons[i] = f"{name} is not a whole number of kopecks: {cell!r}"
            continue
        if value < 0 or (positive and value == 0):
            reasons[i] = f"{name} is not a{' positive' if positive else ''} amount: {cell!r}"
            continue
        kop[i], ok[i] = value, True
    return kop, ok, reasons


def identifier(cell: object) -> tuple[str | None, str]:
    """An identifier (ЛС, operation id, УИП) as text: ``(value or None, reason)``.

    Text is kept as written (leading zeros are data); a whole number is written without ``.0``
    (its leading zeros were already lost in Excel; ``account.compact`` drops them anyway).
    """
    kind = type(cell)
    if kind is str:
        text = cell.strip()
        return (text or None), ""
    if kind is float or kind is int:
        if float(cell).is_integer() and abs(cell) < 2**53:
            return str(int(cell)), ""
        return None, f"not an identifier: {cell!r}"
    return None, f"not an identifier: {cell!r}"


def text(cell: object) -> str | None:
    """Free text (payer, address): stripped, None when empty; a number written as Excel shows it."""
    if type(cell) is str:
        return cell.strip() or None
    if type(cell) is float:
        return format(cell, ".15g")
    return None if cell is None else str(cell)


def paid_date(cell: object) -> tuple[str | None, str | None, str]:
    """``(ISO date, "HH:MM:SS" or None, reason)`` from a date cell or a text date."""
    kind = type(cell)
    if kind is dt.datetime:
        time = cell.strftime("%H:%M:%S") if cell.time() != dt.time(0) else None
        return cell.date().isoformat(), time, ""
    if kind is dt.date:
        return cell.isoformat(), None, ""
    if kind is str:
        match = _TEXT_DATE.match(cell.strip())
        if match is not None:
            g = match.groupdict()
            y, m, d = (g["y"], g["m"], g["d"]) if g["y"] else (g["Y"], g["M"], g["D"])
            try:
                day = dt.date(int(y), int(m), int(d))
                time = _time(g["H"], g["N"], g["S"]) if g["H"] else None
            except ValueError:
                return None, None, f"date unreadable: {cell!r}"
            return day.isoformat(), time, ""
    return None, None, f"date unreadable: {cell!r}" if cell != "" else "date missing"


def paid_time(cell: object) -> str | None:
    """``"HH:MM:SS"`` from a time cell or text; None when absent or unreadable (time is optional)."""
    if isinstance(cell, dt.time):
        return cell.strftime("%H:%M:%S")
    if isinstance(cell, dt.datetime):
        return cell.strftime("%H:%M:%S")
    if type(cell) is str:
        match = _TEXT_TIME.match(cell.strip())
        if match is not None:
            try:
                return _time(match["H"], match["N"], match["S"])
            except ValueError:
                return None
    return None


def period(cell: object) -> str | None:
    """``YYYY-MM`` from ``MMYY``, ``MMYYYY``, ``MM.YYYY``, ``YYYY-MM`` or a date cell; None when unreadable.

    Excel turns a typed ``11.2026`` into a date or the number 11.2026; both are read back.
    """
    if isinstance(cell, dt.date):
        return f"{cell.year:04d}-{cell.month:02d}"
    if type(cell) is float:
        value = format(cell, ".15g")
        # leading zeros lost in the number: 126 was 0126, 12026 was 012026, 1.2026 was 01.2026
        cell = value.zfill(len(value) + len(value) % 2) if value.isdigit() else value.zfill(7)
    if type(cell) is not str:
        return None
    value = cell.strip()
    for pattern in _PERIOD_PATTERNS:
        match = pattern.match(value)
        if match is None:
            continue
        g = match.groupdict()
        year = int(g["y"]) if g.get("y") else 2000 + int(g["yy"])
        month = int(g["m"])
        if 1 <= month <= 12 and 1990 <= year <= 2099:
            return f"{year:04d}-{month:02d}"
    return None


def _time(hours: str, minutes: str, seconds: str | None) -> str:
    return dt.time(int(hours), int(minutes), int(seconds or 0)).strftime("%H:%M:%S")


def identifiers(column: list[object]) -> tuple[list[str | None], list[str]]:
    """``identifier`` over a column, with a fast path for text cells (the usual case)."""
    pairs = [((c.strip() or None), "") if type(c) is str else identifier(c) for c in column]
    return [v for v, _ in pairs], [w for _, w in pairs]


def texts(column: list[object]) -> list[str | None]:
    """``text`` over a column, with a fast path for text cells."""
    return [(c.strip() or None) if type(c) is str else text(c) for c in column]


def memoised(convert: Callable[[object], T], column: list[object]) -> list[T]:
    """``convert`` over a column whose values repeat (periods, text dates): once per distinct value."""
    memo: dict[tuple[type, object], T] = {}
    out = []
    for c in column:
        key = (type(c), c)  # the type too: 1.0 == True, and date(...) vs datetime(...)
        value = memo.get(key, memo)
        if value is memo:
            value = memo[key] = convert(c)
        out.append(value)
    return out


def dates(column: list[object]) -> tuple[list[str | None], list[str | None], list[str], pa.Array]:
    """``paid_date`` over a column: (ISO dates, times, reasons, raw text of the column).

    Date-time cells, the bulk of a register, are converted by numpy and formatted by a pyarrow cast
    in one call each (the raw text comes with them); other cells (text dates, dates without time)
    once per distinct value.
    """
    n = len(column)
    day: list[str | None] = [None] * n
    time: list[str | None] = [None] * n
    why = [""] * n
    stamps = [i for i, c in enumerate(column) if type(c) is dt.datetime]
    full = None
    if stamps:
        seconds = np.array([column[i] for i in stamps], dtype="datetime64[s]")
        full = pc.cast(pa.array(seconds), pa.string())  # "YYYY-MM-DD HH:MM:SS"
        iso = pc.utf8_slice_codeunits(full, 0, 10).to_pylist()
        clock = pc.utf8_slice_codeunits(full, 11, 19).to_pylist()
        for i, d, t in zip(stamps, iso, clock, strict=True):
            day[i], time[i] = d, (None if t == "00:00:00" else t)
    if len(stamps) == n:
        return day, time, why, full
    raw: list[str] = [""] * n
    if full is not None:
        for i, text in zip(stamps, full.to_pylist(), strict=True):
            raw[i] = text
    others = [i for i, c in enumerate(column) if type(c) is not dt.datetime]
    converted = memoised(paid_date, [column[i] for i in others])
    for i, (d, t, w) in zip(others, converted, strict=True):
        day[i], time[i], why[i] = d, t, w
        cell = column[i]
        raw[i] = cell if type(cell) is str else raw_text(cell)
    return day, time, why, pa.array(raw, type=pa.string())


def raw_lines(columns: list[tuple[object, ...]], known: dict[int, pa.Array]) -> np.ndarray:
    """Each row's cells joined by ``;`` as text (provenance), built column-wise by pyarrow.

    Numbers are written in their shortest exact form (what the file holds), date-times in ISO.
    """
    arrays = [known[i] if i in known else _raw_column(col) for i, col in enumerate(columns)]
    if len(arrays) == 1:
        return arrays[0].to_numpy(zero_copy_only=False)
    return pc.binary_join_element_wise(*arrays, ";").to_numpy(zero_copy_only=False)


def _raw_column(col: tuple[object, ...]) -> pa.Array:
    kinds = set(map(type, col))
    if kinds == {float}:
        return pc.cast(pa.array(col, type=pa.float64()), pa.string())
    return pa.array([c if type(c) is str else raw_text(c) for c in col], type=pa.string())


def raw_text(cell: object) -> str:
    """A cell as provenance text: text as is, numbers as Excel shows them, dates in ISO."""
    kind = type(cell)
    if kind is str:
        return cell
    if kind is float:
        return repr(cell).removesuffix(".0")
    if kind is dt.datetime:
        return cell.isoformat(sep=" ", timespec="seconds")
    if kind is dt.date or kind is dt.time:
        return cell.isoformat()
    return "" if cell is None else str(cell)
