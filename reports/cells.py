"""What a spreadsheet cell may hold, for every output a spreadsheet opens (XLSX and CSV alike):
text that would be taken for a formula or an error literal is recognised by one test (``guarded``),
and text over Excel's cell limit is cut with a visible marker (``fit_cells``)."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Leading characters that make spreadsheets (and CSV importers) treat a cell as a formula (OWASP).
DANGEROUS_START = r"^[=+\-@\t\r]"
EXCEL_ERRORS = ["#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"]
# A formula start or an error literal at the start of the text, in any case (Excel takes "#n/a" typed
# or imported from CSV for the error #N/A): what ``guarded`` marks.
FORMULA_LIKE = "(?i)" + DANGEROUS_START + "|^(?:" + "|".join(re.escape(e) for e in EXCEL_ERRORS) + ")"
CELL_LIMIT = 32_767  # Excel's maximum length of a cell's text, in UTF-16 code units
CUT_MARKER = "… [обрезано символов: {}]"
# The bytes a ``FORMULA_LIKE`` text can start with: text starting with none of them is never guarded.
_FORMULA_FIRST = np.zeros(256, dtype=bool)
_FORMULA_FIRST[[ord(c) for c in "=+-@\t\r#"]] = True


def guarded(values: pa.Array) -> pa.Array:
    """Boolean per text value: would a spreadsheet read it as a formula or an error when typed or
    imported from CSV? (A leading ``= + - @``, tab or CR, or an Excel error literal like ``#N/A``.)
    The regular expression runs only when some value starts with a byte it could match: a column of
    names and numbers is answered from the first bytes alone."""
    if isinstance(values, pa.Array) and not _may_start_formula(values):
        return pa.array(np.zeros(len(values), dtype=bool))
    return pc.fill_null(pc.match_substring_regex(values, FORMULA_LIKE), False)


def text_buffers(values: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """The offsets (one more than the values) and UTF-8 bytes of Arrow text; None for other types."""
    if pa.types.is_string(values.type):
        width = np.int32
    elif pa.types.is_large_string(values.type):
        width = np.int64
    else:
        return None
    buffers = values.buffers()
    offsets = np.frombuffer(buffers[1], dtype=width)[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
    return offsets, data


def _may_start_formula(values: pa.Array) -> bool:
    """Whether any value (null slots included: the answer only errs towards the full test) starts
    with a byte a ``FORMULA_LIKE`` text starts with; True when ``values`` is not Arrow text."""
    found = text_buffers(values)
    if found is None:
        return True
    offsets, data = found
    starts = offsets[:-1][offsets[:-1] < offsets[1:]]
    return bool(_FORMULA_FIRST[data[starts]].any())


def longest_bytes(values: pa.Array) -> int | None:
    """The most UTF-8 bytes any slot of Arrow text holds (an upper bound of its characters); None
    when ``values`` is not Arrow text."""
    found = text_buffers(values)
    if found is None:
        return None
    return int(np.diff(found[0]).max()) if len(values) else 0


def spreadsheet_text(values: pa.Array) -> pa.Array:
    """Text a spreadsheet shows as it is: ``'`` before what it would take for a formula or an error
    (``guarded``), then cut to the cell limit (``fit_cells``; the apostrophe is part of the text)."""
    marks = guarded(values)
    if isinstance(values, pa.Array) and not pc.any(marks).as_py():
        return fit_cells(values)  # nothing to mark: no copy of the column
    marked = pc.if_else(marks, pc.binary_join_element_wise("'", values, ""), values)
    return fit_cells(marked)


def fit_cells(values: pa.Array) -> pa.Array:
    """Text cut to Excel's cell limit where longer, ending with ``CUT_MARKER`` (within the limit).

    A code point takes at most two UTF-16 units, so only text over half the limit can exceed it;
    those few cells (raw lines of rejected records, mostly) are cut one by one, the rest of the
    column is returned as it is (at once when no value holds more than half the limit in bytes).
    """
    longest = longest_bytes(values) if isinstance(values, pa.Array) else None
    if longest is not None and longest <= CELL_LIMIT // 2:
        return values
    long = pc.fill_null(pc.greater(pc.utf8_length(values), CELL_LIMIT // 2), False)
    if not pc.any(long).as_py():
        return values
    cut = [cut_text(v) for v in pc.filter(values, long).to_pylist()]
    return pc.replace_with_mask(values, long, pa.array(cut, type=values.type))


def cut_text(text: str, limit: int = CELL_LIMIT) -> str:
    """``text`` if it fits ``limit`` UTF-16 units, else its head and ``CUT_MARKER`` with the number
    of characters cut, exactly filling the limit (less only where a surrogate pair would be split)."""
    units = text.encode("utf-16-le")
    if len(units) <= 2 * limit:
        return text
    fixed = len(CUT_MARKER.format(""))
    digits = len(str(len(text)))
    while True:  # the marker's length depends on the count it shows: settle it (a step or two)
        head = units[: 2 * (limit - fixed - digits)].decode("utf-16-le", errors="ignore")  # drops a split pair
        removed = len(text) - len(head)
        if len(str(removed)) == digits:
            return head + CUT_MARKER.format(removed)
        digits = len(str(removed))
