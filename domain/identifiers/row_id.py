"""Database row ids typed by people (an accountant's «ID платежа»): judged before any SQL sees them.

Row ids are BIGINT on PostgreSQL and INTEGER (64-bit) on SQLite: a number outside 1..2**63-1 cannot
name a row, and handing it to a driver fails there (``OverflowError`` from sqlite3, a ``DataError``
from PostgreSQL) instead of saying which cell is wrong. ``problem`` says it in the accountant's words.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

MAX_ROW_ID = 2**63 - 1  # BIGINT / SQLite INTEGER
_MAX_DIGITS = len(str(MAX_ROW_ID))  # longer text is refused before int() parses it
_EXACT_FLOAT = 2**53  # a float names every whole number up to here, and only some beyond


def parse(value: object) -> tuple[int | None, str | None]:
    """``(id, None)`` for a cell that names a row id, else ``(None, reason)`` with the reason in Russian.

    Accepted: an int, an integral float or Decimal, or ASCII digits as text (spaces around allowed),
    within 1..``MAX_ROW_ID``. Everything else (empty, bool, fractions, text, 0, negatives, numbers
    beyond BIGINT) is refused.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "«ID платежа» пуст"
    if isinstance(value, bool):
        return None, f"«ID платежа» не число: {value!r}"
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None, f"«ID платежа» не целое число: {value!r}"
        number = int(value)
        if _EXACT_FLOAT < number <= MAX_ROW_ID:  # Excel keeps 15 digits: such a number may name another row
            return None, "«ID платежа» длиннее 15 цифр записан числом и мог исказиться: введите его как текст"
    elif isinstance(value, Decimal):
        try:
            if not value.is_finite() or value != value.to_integral_value():
                return None, f"«ID платежа» не целое число: {value}"
        except InvalidOperation:
            return None, f"«ID платежа» не целое число: {value}"
        number = int(value)
    else:
        text = str(value).strip()
        signed = text[1:] if text[:1] in "+-" else text
        if not (signed.isascii() and signed.isdigit()):
            return None, f"«ID платежа» не число: {_shown(text)}"
        if len(signed.lstrip("0")) > _MAX_DIGITS:
            return None, f"«ID платежа» вне допустимого диапазона (1…{MAX_ROW_ID}): {_shown(text)}"
        number = int(text)
    return (number, None) if (reason := problem(number)) is None else (None, reason)


def problem(number: int) -> str | None:
    """Why ``number`` cannot be a row id (Russian), or None when it can."""
    if number <= 0:
        return f"«ID платежа» должен быть больше нуля: {number}"
    if number > MAX_ROW_ID:
        return f"«ID платежа» вне допустимого диапазона (1…{MAX_ROW_ID}): {_shown(str(number))}"
    return None


def _shown(text: str) -> str:
    """A cell's text as quoted in a reason, cut so that a pasted page does not become the reason."""
    return repr(text if len(text) <= 40 else text[:40] + "…")
