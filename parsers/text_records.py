"""What each line of a text register is when it is not a data line: blank, comment, totals, footer.

Lines are recognised by pattern, column-wise over a block (never by position alone): the parser
counts them per ``RecordKind`` so that payments + non-payments + rejected lines add up to the
file's line count (``parsers.census``). Totals lines (``#FILESUM 3450.00``, ``Итого;…``) are read
here into the register's declared totals.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain.grouping import merge_lines
from domain.money import AmountError, parse_amount, parse_kopecks
from domain.records import DeclaredTotals, LineError, RecordKind
from parsers.base import Chunk
from parsers.dialect import Dialect
from parsers.dialect_shapes import file_value
from parsers.text_layout import Layout, mask, payment_like


@dataclass
class Marks:
    """Per line of a block: which declared non-payment pattern it matches (at most one is set)."""

    blank: np.ndarray
    totals: np.ndarray
    footer: np.ndarray
    comment: np.ndarray
    title: np.ndarray  # a ``file_values`` line: a title that gives a field of every payment

    @property
    def other(self) -> np.ndarray:
        """Lines no pattern recognised: data lines (or titles and headers in the preamble)."""
        return ~(self.blank | self.totals | self.footer | self.comment | self.title)


def _any(lines: pa.Array, patterns: tuple[str, ...]) -> np.ndarray:
    out = np.zeros(len(lines), dtype=bool)
    for pattern in patterns:
        out |= mask(pc.match_substring_regex(lines, pattern))
    return out


def mark(d: Dialect, lines: pa.Array, controls: bool) -> Marks:
    """Classify a block's lines by pattern; precedence blank, totals, footer, file value title, comment
    (a ``#DATE 15.03.2026`` comment that ``file_values`` reads gives its value)."""
    trimmed = pc.utf8_trim_whitespace(lines)
    if controls:  # a DOS end-of-file mark (Ctrl-Z) alone on its line is a blank line
        trimmed = pc.utf8_trim(trimmed, "\x1a")
    blank = ~mask(pc.not_equal(trimmed, ""))
    none = np.zeros(len(lines), dtype=bool)
    totals = _any(lines, d.totals.lines) & ~blank if d.totals is not None else none
    footer = none
    if d.footer is not None:
        footer = mask(pc.starts_with(lines, d.footer.prefix)) & ~blank & ~totals
    title = _any(lines, tuple(d.file_values.values())) & ~blank & ~totals & ~footer if d.file_values else none
    comment = _any(lines, d.comments) & ~blank & ~totals & ~footer & ~title if d.comments else none
    return Marks(blank, totals, footer, comment, title)


@dataclass
class TotalsFound:
    """Control totals gathered from totals lines over the whole file."""

    values: dict[str, int] = field(default_factory=dict)

    def read(self, d: Dialect, line: str) -> str:
        """Take the totals of one totals line; returns a problem ("" when the line was fine)."""
        if d.totals is None:
            raise ValueError("dialect has no totals lines")
        match = next((m for m in (re.search(p, line) for p in d.totals.lines) if m), None)
        if match is None:  # the block-wise regex matched: cannot happen, but never lose the line
            return "totals line not understood"
        bad, again = [], []
        for key, text in match.groupdict().items():
            if text is None or not text.strip():
                continue
            try:
                if key == "count" or d.amount_unit == "kopecks":
                    value = parse_kopecks(text.replace(" ", ""))
                else:
                    value = parse_amount(text)
            except AmountError:
                bad.append(key)
                continue
            if key in self.values and self.values[key] != value:
                again.append(key)
            else:
                self.values[key] = value
        problems = [f"unreadable totals: {', '.join(bad)}"] if bad else []
        problems += [f"a second, different totals value for {', '.join(again)}"] if again else []
        return "; ".join(problems)

    def merged(self, declared: DeclaredTotals | None) -> DeclaredTotals | None:
        """The footer's totals (if any) completed with the totals lines' values."""
        if not self.values:
            return declared
        base = declared or DeclaredTotals()
        extra = {k: v for k, v in self.values.items() if getattr(base, k) is None}
        return DeclaredTotals(**{**{k: getattr(base, k) for k in base.__slots__}, **extra})


@dataclass
class FileValues:
    """Fields given once for the whole file on title lines (``file_values``), as the lines said them."""

    values: dict[str, str] = field(default_factory=dict)

    def read(self, d: Dialect, line: str, below_payments: bool) -> str:
        """Take the values of one file value line; returns a problem ("" when the line was fine).

        The line must stand above the first payment line: payments already read cannot take it.
        A repeated line with the same value is fine (a title repeated on every page)."""
        problems, found = [], False
        for key, pattern in d.file_values.items():
            value = file_value(pattern, line)
            if value is None:
                continue
            found = True
            if self.values.get(key, value) != value:
                problems.append(f"a second, different {key} for the whole file (file_values.{key})")
            elif below_payments and key not in self.values:
                problems.append(f"the {key} for the whole file stands below the first payment line (file_values.{key})")
            else:
                self.values[key] = value
        if not found:
            problems.append(f"a line for {', '.join(d.file_values)} of the whole file (file_values) without a value")
        return "; ".join(problems)


def payment_lines(
    layout: Layout, file: str, lines: pa.Array, line_no: np.ndarray, at: np.ndarray, reason: str
) -> tuple[np.ndarray, list[LineError]]:
    """Among the lines at positions ``at``, those that read as payments (``payment_like``), and a
    rejection with its amount for each: a line that looks like a payment is never dropped."""
    if not len(at):
        return np.zeros(0, dtype=bool), []
    sub = lines.take(pa.array(at, pa.int64()))
    like, amounts = payment_like(layout, sub)
    errors = [
        LineError(file, int(line_no[at[j]]), reason, sub[int(j)].as_py(), amounts[int(j)]) for j in np.flatnonzero(like)
    ]
    return like, errors


def grouped_chunk(file: str, chunks: list[Chunk]) -> Chunk:
    """The chunks of a whole file as one, its lines of one payment merged (``domain.grouping``):
    the merged lines count as continuations; lines of one key that disagree are rejected."""
    merged = merge_lines(pd.concat([c.payments for c in chunks], ignore_index=True))
    errors = [e for c in chunks for e in c.errors]
    for row in merged.conflicts.itertuples():
        reason = "lines of one payment (group_by) disagree on the account, УИП, ЕЛС or date"
        errors.append(LineError(file, int(row.line_no), reason, row.raw, int(row.amount)))
    counts: Counter[str] = Counter()
    for c in chunks:
        counts.update(c.non_payments)
    if merged.continuations:
        counts[str(RecordKind.CONTINUATION)] += merged.continuations
    last = chunks[-1]
    errors.sort(key=lambda e: e.line_no)
    return Chunk(merged.payments, tuple(errors), last.declared, last.meta, dict(counts))
