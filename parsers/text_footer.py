"""The footer line of a text register: its control totals as ``DeclaredTotals``."""

from __future__ import annotations

import re
from datetime import date

from domain.money import AmountError, parse_amount, parse_kopecks
from domain.records import DeclaredTotals
from parsers.dialect import Dialect
from parsers.spellings import format_regex


def _date(text: str, specs: tuple[str, ...]) -> date | None:
    for spec in specs:
        match = re.match(format_regex("date", spec), text)
        if match is None:
            continue
        parts = match.groupdict()
        year = int(parts["y"]) if parts.get("y") else 2000 + int(parts["yy"])
        try:
            return date(year, int(parts["m"]), int(parts["d"]))
        except ValueError:
            return None
    return None


def parse_footer(d: Dialect, line: str) -> tuple[DeclaredTotals, str]:
    """The totals a footer line declares, and a reason ("" when every field was readable).

    An empty payment-order number, transfer or commission is simply absent; the count and the
    amount are the control totals themselves, so an absent or unreadable one is a problem.
    """
    footer = d.footer
    if footer is None:
        raise ValueError("dialect has no footer")
    parts = line[len(footer.prefix) :].split(d.separator)
    values = {k: (parts[p - 1].strip() if p <= len(parts) else "") for k, p in footer.fields.items()}
    out: dict[str, object] = {}
    bad: list[str] = []
    for key, text in values.items():
        if not text:
            if key in ("count", "amount"):
                bad.append(key)
            continue
        try:
            if key == "count":
                out[key] = parse_kopecks(text)  # a whole non-negative number
            elif key in ("amount", "transfer", "commission"):
                out[key] = parse_kopecks(text) if d.amount_unit == "kopecks" else parse_amount(text)
            elif key == "payment_order_number":
                out[key] = text
            else:
                out[key] = _date(text, d.date_formats)
                if out[key] is None:
                    bad.append(key)
        except AmountError:
            bad.append(key)
    reason = f"unreadable footer: {', '.join(bad)}" if bad else ""
    return DeclaredTotals(**out), reason  # type: ignore[arg-type]
