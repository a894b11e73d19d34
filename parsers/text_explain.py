"""Why a text dialect does not identify a file: what was looked for and what was found closest.

``TextRegisterParser.explain`` hands a refused file here; intake writes the answer into the
quarantine reason, the log and the report (``rkc.intake._not_identified``). It walks the head of
the file as ``identify`` does (the lines after ``skip_lines`` that are not blank, a comment, a
totals or a file value line) and names the first thing that did not fit: the header row and the
column names it lacks, or the first data line with its field count and the ``identify.first_line``
it does not match. The answer is one line, raw text cut to ``RAW_CHARS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from parsers.base import HEAD_BYTES, BadFile, read_head
from parsers.container import sniff
from parsers.dialect import Dialect
from parsers.text_layout import Layout, quoted_cells, resolve_header
from parsers.text_source import BOM, codec_of, detect_encoding, looks_binary, strict_head_problem

RAW_CHARS = 120  # raw text quoted in a reason
PATTERN_CHARS = 40  # a dialect's regular expression quoted in a reason
SEARCH_LINES = 30  # as many candidate lines as identify looks at for the header row
REASON_CHARS = 600  # the whole reason stays one bounded line


def cut(text: str, limit: int = RAW_CHARS) -> str:
    """``text`` on one line (control characters as spaces), at most ``limit`` characters (``…``)."""
    flat = "".join(c if c.isprintable() else " " for c in text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _cells(d: Dialect, line: str) -> list[str]:
    cells = quoted_cells(line, d.separator, d.quote) if d.quote else line.split(d.separator)
    if d.trailing_separator and len(cells) > 1 and not cells[-1].strip():
        cells.pop()
    return [c.strip() for c in cells]


def _lines(d: Dialect, head: bytes) -> tuple[list[tuple[int, str]], str | None]:
    """The numbered lines of the head after ``skip_lines``, or why the head is not the dialect's text."""
    encoding = detect_encoding(head) if d.encoding == "auto" else d.encoding
    codec = codec_of(encoding)
    problem = strict_head_problem(head, codec) if codec == "utf-8" and d.encoding != "auto" else None
    if problem:
        return [], f"{problem}, the encoding the dialect declares"
    lines = head.removeprefix(BOM).decode(codec, errors="replace").split("\n")
    if len(head) >= HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the head may cut the last line
    numbered = [(n, line.rstrip("\r\x1a")) for n, line in enumerate(lines, start=1)]
    return numbered[d.skip_lines :], None


def diagnose(d: Dialect, path: Path, declared: list[re.Pattern[str]], identify: Callable[[Path, bytes], bool]) -> str:
    """Why ``d`` does not identify ``path`` ("" when it does); one line, bounded."""
    head = read_head(path)
    if not head.strip(b" \t\r\n\x1a"):
        return "empty file"
    if looks_binary(head):
        return f"not a text register: the content is {sniff(head)}"
    if identify(path, head):
        return ""
    lines, problem = _lines(d, head)
    if problem:
        return problem
    after = f"after skip_lines {d.skip_lines}" if d.skip_lines else "in the file"
    candidates = [(n, line) for n, line in lines if line.strip() and not any(r.search(line) for r in declared)]
    if not candidates:
        return f"no line {after} that is not blank, a comment, a totals or a file value line"
    window = candidates[:SEARCH_LINES]
    span = f"lines {window[0][0]}–{window[-1][0]}"
    layout, rest, where = Layout.fixed(d), candidates, f"the first {after} that is not blank or a comment"
    if d.header:
        found = _header(d, path, window)
        if found is None:
            return cut(_header_diagnosis(d, window, span), REASON_CHARS)
        at, layout = found
        rest = [c for c in candidates if c[0] > at]
        where = f"the first after the header row on line {at}"
        if not rest:
            return f"the header row is line {at}, but no data line follows it in the file's first {HEAD_BYTES} bytes"
    return cut(_first_line_diagnosis(d, layout, rest, where, span), REASON_CHARS)


def _header(d: Dialect, path: Path, window: list[tuple[int, str]]) -> tuple[int, Layout] | None:
    header_re = re.compile(d.identify.header, re.IGNORECASE) if d.identify.header else None
    for n, line in window:
        if header_re is not None and not header_re.search(line):
            continue
        try:
            return n, resolve_header(d, line, str(path))
        except BadFile:  # this line is not the header row
            continue
    return None


def _header_diagnosis(d: Dialect, window: list[tuple[int, str]], span: str) -> str:
    """No header row: the line that names most of the columns, and which names it lacks."""
    named = {k: ref.names for k, ref in d.fields.items() if ref.names}
    header_re = re.compile(d.identify.header, re.IGNORECASE) if d.identify.header else None
    best: tuple[int, int, str, list[str]] | None = None  # (columns named, line, text, missing keys)
    matched = []
    for n, line in window:
        present = {c.lower() for c in _cells(d, line)}
        missing = [k for k, names in named.items() if not any(a in present for a in names)]
        if header_re is not None and header_re.search(line):
            matched.append(n)
        if best is None or len(named) - len(missing) > best[0]:
            best = (len(named) - len(missing), n, line, missing)
    parts = []
    if header_re is not None and not matched:
        parts.append(f"no line matches identify.header '{cut(d.identify.header or '', PATTERN_CHARS)}' in {span}")
    if best is None:
        return "; ".join(parts)
    count, n, line, missing = best
    lacks = cut(", ".join(f"{k} ({' / '.join(named[k])})" for k in missing), 200)
    has = cut(", ".join(_cells(d, line)))
    if not missing:
        parts.append(f"line {n} names every column but does not match identify.header: {has}")
    elif count == 0:
        parts.append(f"no line in {span} names any column the dialect asks for: {lacks}; line {n} has: {has}")
    else:
        parts.append(f"closest: line {n} names {count} of {len(named)} columns, lacks {lacks}; it has: {has}")
    return "; ".join(parts)


def _first_line_diagnosis(d: Dialect, layout: Layout, rest: list[tuple[int, str]], where: str, span: str) -> str:
    """The first data line does not fit: its field count, its match of ``identify.first_line``."""
    first_re = re.compile(d.identify.first_line) if d.identify.first_line else None
    n, first = rest[0]
    if d.footer is not None and first.startswith(d.footer.prefix):
        return f"line {n} ({where}) is the footer (starts with '{d.footer.prefix}'): no payment lines before it"
    pattern = f"identify.first_line '{cut(d.identify.first_line or '', PATTERN_CHARS)}'"
    none_match = first_re is not None and not any(first_re.search(line) for _, line in rest[:SEARCH_LINES])
    problems = []
    if not layout.line_fits(first):
        k = len(_cells(d, first))
        problems.append(f"has {k} field{'' if k == 1 else 's'}, expected {layout.width_text()}")
    if first_re is not None and not none_match and not first_re.search(first):
        problems.append(f"does not match {pattern}")
    text = f"line {n} ({where}) {' and '.join(problems) or 'is the first data line'}: '{cut(first)}'"
    later = rest[1:SEARCH_LINES]
    fitting = [m for m, line in later if layout.line_fits(line) and (not first_re or first_re.search(line))]
    if none_match:
        text = f"no line matches {pattern} in {span}; {text}"
    elif fitting:
        text += f"; line {fitting[0]} would fit (is the preamble longer than skip_lines {d.skip_lines}?)"
    return text
