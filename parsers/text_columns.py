"""Vectorized normalisation of text register fields (pyarrow compute), shared by ``parsers.text``.

Each function takes whole columns (pyarrow string arrays, null where the field is empty) and
returns whole columns: dates to ISO, times to ``HH:MM:SS``, periods to ``YYYY-MM`` (null when
junk), accounts to the matching form. Amounts are read by ``domain.money_vec``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from parsers.spellings import format_regex


def trimmed(values: pa.Array) -> pa.Array:
    """Strings without surrounding whitespace; empty as null."""
    out = pc.utf8_trim_whitespace(values)
    valid = pc.fill_null(pc.not_equal(out, ""), False)
    if out.offset or valid.offset or out.type != pa.string():
        return pc.if_else(valid, out, pa.scalar(None, pa.string()))
    # Same offsets and data, the "not empty" bits as the validity bitmap: no copy of the strings.
    _, offsets, data = out.buffers()
    return pa.StringArray.from_buffers(len(out), offsets, data, valid.buffers()[1])


def _extract_any(values: pa.Array, kind: str, specs: tuple[str, ...]) -> dict[str, pa.Array]:
    """Named groups of the first spelling in ``specs`` that matches, per row (null: none matched)."""
    groups: dict[str, pa.Array] = {}
    taken = pc.is_null(values)
    for spec in specs:
        if groups and pc.all(taken).as_py():
            break  # every row matched an earlier spelling (or is null): skip the other regexes
        found = pc.extract_regex(values, format_regex(kind, spec))
        # Only rows no earlier spelling matched: a row's groups all come from one spelling.
        use = pc.and_(pc.fill_null(pc.is_valid(found), False), pc.invert(taken))
        taken = pc.or_(taken, use)
        for i in range(found.type.num_fields):
            name = found.type.field(i).name
            part = pc.if_else(use, pc.struct_field(found, [i]), pa.scalar(None, pa.string()))
            groups[name] = pc.coalesce(groups[name], part) if name in groups else part
    none = pa.nulls(len(values), pa.string())
    for name in ("d", "m", "y", "yy", "h", "mi", "s"):
        groups.setdefault(name, none)
    return groups


def _year(groups: dict[str, pa.Array]) -> pa.Array:
    return pc.coalesce(groups["y"], pc.binary_join_element_wise(pa.scalar("20"), groups["yy"], ""))


def dates(values: pa.Array, specs: tuple[str, ...]) -> pa.Array:
    """ISO dates ``YYYY-MM-DD``; null where no spelling matches or the day does not exist."""
    g = _extract_any(values, "date", specs)
    year = _year(g)
    iso = pc.binary_join_element_wise(year, g["m"], g["d"], "-")
    # Arrow's strptime takes 31-02 for 03-03: check the day against the month's length in numpy.
    y, m, d = (pc.fill_null(pc.cast(v, pa.int64()), 0).to_numpy() for v in (year, g["m"], g["d"]))
    month = ((y - 1970) * 12 + np.clip(m, 1, 12) - 1).astype("datetime64[M]")
    days = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64)
    ok = (m >= 1) & (m <= 12) & (d >= 1) & (d <= days)
    return pc.if_else(pa.array(ok), iso, pa.scalar(None, pa.string()))


def times(values: pa.Array, specs: tuple[str, ...]) -> pa.Array:
    """``HH:MM:SS``; null where no spelling matches (seconds default to 00)."""
    g = _extract_any(values, "time", specs)
    seconds = pc.if_else(pc.is_valid(g["mi"]), pc.coalesce(g["s"], "00"), pa.scalar(None, pa.string()))
    return pc.binary_join_element_wise(g["h"], g["mi"], seconds, ":")


def periods(values: pa.Array, specs: tuple[str, ...]) -> pa.Array:
    """``YYYY-MM``; null where absent or junk (a bad period is not a bad line)."""
    g = _extract_any(values, "period", specs)
    return pc.binary_join_element_wise(_year(g), g["m"], "-")


def objects(values: pa.Array) -> np.ndarray:
    """A numpy object array of ``str`` (None for null): the payment frame's identifier columns."""
    if values.null_count == len(values):
        return np.full(len(values), None, dtype=object)
    return values.to_numpy(zero_copy_only=False)


def _named_group(pattern: str) -> str:
    """``pattern`` with its one capturing group named ``v`` (pyarrow's extract needs names)."""
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "(" and not in_class:
            if not pattern.startswith("?", i + 1):
                return pattern[: i + 1] + "?P<v>" + pattern[i + 1 :]
            if pattern.startswith("?P<", i + 1):  # already named: rename it
                end = pattern.index(">", i)
                return pattern[: i + 1] + "?P<v>" + pattern[end + 1 :]
        i += 1
    return f"(?P<v>{pattern})"


def part_of(values: pa.Array, cut: tuple[int, int] | None, regex: str | None) -> pa.Array:
    """Part of each field: characters ``cut[0]:cut[1]``, or the one group of ``regex`` (null: no match)."""
    if cut is not None:
        return trimmed(pc.utf8_slice_codeunits(values, cut[0], cut[1]))
    if regex is None:
        return values
    return trimmed(pc.struct_field(pc.extract_regex(values, _named_group(regex)), [0]))


def periods_from_columns(month: pa.Array, year: pa.Array) -> pa.Array:
    """``YYYY-MM`` from a month column (``3``, ``03``) and a year column (``2024``, ``24``); null when junk."""
    ok_month = pc.match_substring_regex(month, r"^(0?[1-9]|1[0-2])$")
    ok_year = pc.match_substring_regex(year, r"^(\d{2}|\d{4})$")
    mm = pc.utf8_lpad(month, 2, "0")
    yyyy = pc.if_else(pc.equal(pc.utf8_length(year), 2), pc.binary_join_element_wise("20", year, ""), year)
    out = pc.binary_join_element_wise(yyyy, mm, "-")
    return pc.if_else(pc.and_(ok_month, ok_year), out, pa.scalar(None, pa.string()))


def meter_readings(lines: pa.Array, separator: str, value_key: str, id_key: str | None) -> np.ndarray:
    """Per line, the meter readings as a tuple of (meter, value) strings, or None.

    Readings are numbered ``KEY:value`` fields (``CounterId_1:12345;CounterVal_1:00123,4``): the
    value of number N pairs with the meter id of number N, else the meter is named by N. Only the
    lines that hold the value key are visited one by one.
    """
    import re

    out = np.full(len(lines), None, dtype=object)
    sep = re.escape(separator)
    values_re = re.compile(rf"(?:^|{sep})\s*{re.escape(value_key)}(\d+):([^{sep}]*)", re.IGNORECASE)
    ids_re = re.compile(rf"(?:^|{sep})\s*{re.escape(id_key)}(\d+):([^{sep}]*)", re.IGNORECASE) if id_key else None
    has = pc.fill_null(pc.match_substring(lines, value_key, ignore_case=True), False).to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(has):
        line = lines[int(i)].as_py()
        ids = {n: v.strip() for n, v in ids_re.findall(line)} if ids_re else {}
        readings = tuple((ids.get(n) or n, v.strip()) for n, v in values_re.findall(line) if v.strip())
        out[i] = readings or None
    return out
