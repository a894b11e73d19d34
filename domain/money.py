"""Money as integer kopecks.

Amounts arrive as text in Russian and international spellings (``1 234,56``, ``1234.56``,
``1500``, ``000001500,00``). They are parsed straight into integer kopecks without ever passing
through ``float``; a value that is not an exact amount of kopecks is an error, not a rounding.
"""

from __future__ import annotations

import re
from decimal import Decimal

# Spaces that banks and Excel put between thousands: plain, no-break, narrow no-break, thin.
_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009'")
_AMOUNT_RE = re.compile(r"^(?P<sign>[-+]?)(?P<whole>\d+)(?:[.,](?P<frac>\d{1,2}))?$")


class AmountError(ValueError):
    """A text that is not an exact amount of money."""


def parse_amount(text: str, *, allow_negative: bool = False) -> int:
    """Parse a money amount written as text into integer kopecks.

    Accepts a decimal comma or point, up to two fraction digits, thousands separated by spaces
    (including no-break spaces) and leading zeros. Rejects floats and other non-strings, empty
    text, more than two fraction digits, several separators and anything else.
    """
    if not isinstance(text, str):
        raise AmountError(f"amount must be text, got {type(text).__name__}: {text!r}")
    cleaned = text.strip().translate(_GROUP_SPACES)
    if not cleaned:
        raise AmountError("empty amount")
    match = _AMOUNT_RE.match(cleaned)
    if match is None:
        raise AmountError(f"not an amount: {text!r}")
    frac = (match["frac"] or "").ljust(2, "0")
    kopecks = int(match["whole"]) * 100 + int(frac or "0")
    if match["sign"] == "-":
        if not allow_negative:
            raise AmountError(f"negative amount: {text!r}")
        kopecks = -kopecks
    return kopecks


def parse_kopecks(text: str) -> int:
    """Parse a whole number of kopecks written as digits (ГИС ЖКХ ``Amount``, QR ``Sum``)."""
    if not isinstance(text, str):
        raise AmountError(f"kopecks must be text, got {type(text).__name__}: {text!r}")
    cleaned = text.strip()
    if not cleaned.isascii() or not cleaned.isdigit():
        raise AmountError(f"not a whole number of kopecks: {text!r}")
    return int(cleaned)


def from_decimal(value: Decimal) -> int:
    """Convert a Decimal number of rubles into kopecks, refusing fractions of a kopeck."""
    if not isinstance(value, Decimal):
        raise AmountError(f"expected Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise AmountError(f"not a finite amount: {value}")
    kopecks = value * 100
    if kopecks != kopecks.to_integral_value():
        raise AmountError(f"amount has fractions of a kopeck: {value}")
    return int(kopecks)


def to_decimal(kopecks: int) -> Decimal:
    """Rubles as a Decimal with exactly two places."""
    return (Decimal(kopecks) / 100).quantize(Decimal("0.01"))


def format_amount(kopecks: int) -> str:
    """Machine format used in JSON and CSV exports: ``-1234.56``."""
    sign = "-" if kopecks < 0 else ""
    whole, frac = divmod(abs(int(kopecks)), 100)
    return f"{sign}{whole}.{frac:02d}"


def format_ru(kopecks: int) -> str:
    """Russian display format with a no-break space between thousands: ``1 234,56``."""
    sign = "-" if kopecks < 0 else ""
    whole, frac = divmod(abs(int(kopecks)), 100)
    grouped = f"{whole:,}".replace(",", "\u00a0")
    return f"{sign}{grouped},{frac:02d}"
