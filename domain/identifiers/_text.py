"""Small text helpers shared by the identifier modules."""

from __future__ import annotations

import re

# Separators people and banks put inside identifiers: spaces (incl. no-break), dashes, dots.
_SEPARATORS = re.compile(r"[\s\u00a0\u202f\-\u2010-\u2015.]+")


def strip_separators(number: str) -> str:
    """Remove spaces, dashes and dots; the identifiers here carry no meaning in them."""
    if not isinstance(number, str):
        raise TypeError(f"identifier must be text, got {type(number).__name__}")
    return _SEPARATORS.sub("", number)


def is_ascii_digits(value: str) -> bool:
    """True for a non-empty string of ASCII digits only (``str.isdigit`` also accepts ``'²'``)."""
    return value.isascii() and value.isdigit()
