"""A separate control-totals file that arrives beside a register (``NNNNN.K01`` beside ``NNNNN.001``).

No public description of such files was found, so the file is read by the channel's configured
regular expression (``channels.<name>.totals_file.content``) over its whole text: the named groups
``count`` and ``amount`` (either may be absent from the expression) give the control totals. The
default reads a line such as ``3;3450.00``.
"""

from __future__ import annotations

import re
from pathlib import Path

from domain.money import AmountError, parse_amount
from domain.records import DeclaredTotals
from parsers.base import BadFile

MAX_BYTES = 64 * 1024  # a totals file is a few lines; anything larger is not one


def read_totals_file(path: Path, content: re.Pattern[str], encoding: str = "cp1251") -> DeclaredTotals:
    """The count and amount ``path`` declares; ``BadFile`` (an English reason) when it cannot be read."""
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise BadFile(path, f"a totals file of {len(data)} bytes: more than {MAX_BYTES}, not a totals file")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise BadFile(path, f"not {encoding} text: {exc.reason} at byte {exc.start}") from exc
    match = content.search(text)
    if match is None:
        raise BadFile(path, f"no control totals matching {content.pattern!r}")
    groups = match.groupdict()
    count = groups.get("count")
    amount = groups.get("amount")
    if count is not None and not count.strip().isdigit():
        raise BadFile(path, f"count {count!r} is not a whole number")
    try:
        kopecks = parse_amount(amount) if amount is not None else None
    except AmountError as exc:
        raise BadFile(path, f"amount: {exc}") from exc
    if count is None and kopecks is None:
        raise BadFile(path, "neither a count nor an amount was found")
    return DeclaredTotals(count=int(count) if count is not None else None, amount=kopecks)
