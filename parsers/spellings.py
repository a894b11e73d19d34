"""Date, time and period spellings of dialects (``dd.mm.yyyy``, ``hh:mm``, ``mmyy``) as regexes."""

from __future__ import annotations

import re

# Format tokens per kind -> (regex group name, regex). Longest token first so yyyy wins over yy.
_TOKENS: dict[str, list[tuple[str, str, str]]] = {
    "date": [("yyyy", "y", r"\d{4}"), ("yy", "yy", r"\d{2}"), ("dd", "d", r"\d{2}"), ("mm", "m", r"\d{2}")],
    "time": [("hh", "h", r"[01]\d|2[0-3]"), ("mm", "mi", r"[0-5]\d"), ("ss", "s", r"[0-5]\d")],
    "period": [("yyyy", "y", r"\d{4}"), ("yy", "yy", r"\d{2}"), ("mm", "m", r"0[1-9]|1[0-2]"), ("dd", "d", r"\d{2}")],
}
_REQUIRED_TOKENS = {"date": ({"d", "m"}, {"y", "yy"}), "time": ({"h", "mi"}, None), "period": ({"m"}, {"y", "yy"})}


def format_regex(kind: str, spec: str) -> str:
    """A date/time/period spelling such as ``dd.mm.yyyy`` as an anchored regex with named groups."""
    out, i, seen = [], 0, set()
    low = spec.lower()
    while i < len(low):
        for token, group, pattern in _TOKENS[kind]:
            if low.startswith(token, i):
                if group in seen and kind != "period":
                    raise ValueError(f"token {token!r} twice in {spec!r}")
                # A period may be a date range (01.03.2024-31.03.2024): the first date names it.
                out.append(f"(?:{pattern})" if group in seen else f"(?P<{group}>{pattern})")
                seen.add(group)
                i += len(token)
                break
        else:
            if low[i].isalnum():
                raise ValueError(f"unknown token at {spec[i:]!r} in {spec!r}")
            out.append(re.escape(low[i]))
            i += 1
    needed, year = _REQUIRED_TOKENS[kind]
    if not needed <= seen or (year is not None and not seen & year) or ({"y", "yy"} <= seen and kind != "period"):
        raise ValueError(f"{spec!r} lacks a part of the {kind} or repeats the year")
    return "^" + "".join(out) + "$"
