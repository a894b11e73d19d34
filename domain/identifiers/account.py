"""Лицевой счёт (ЛС): the payer's account number at the settlement center.

Banks pad it with leading zeros, drop them, or add spaces and dashes. For matching, the compact
form strips spaces, dashes and leading zeros; the raw value is always kept beside it.
"""

from __future__ import annotations

import re

from domain.identifiers._base import InvalidIdentifier

_STRIP = re.compile(r"[\s\-\u00a0]+")
MAX_LENGTH = 32


def compact(number: str) -> str:
    """The matching form: no spaces or dashes, no leading zeros (``"0"`` stays ``"0"``)."""
    stripped = _STRIP.sub("", number)
    return stripped.lstrip("0") or ("0" if stripped else "")


def validate(number: str) -> str:
    """Return the compact form of an account number or raise ``InvalidIdentifier``."""
    value = compact(number)
    if not value:
        raise InvalidIdentifier("empty account number")
    if len(value) > MAX_LENGTH:
        raise InvalidIdentifier(f"account number longer than {MAX_LENGTH} characters")
    if not value.isalnum():
        raise InvalidIdentifier(f"account number has characters other than letters and digits: {number!r}")
    return value


def is_valid(number: str) -> bool:
    """Whether ``number`` is a usable account number."""
    try:
        validate(number)
    except InvalidIdentifier:
        return False
    return True
