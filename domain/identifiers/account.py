"""Лицевой счёт (ЛС): the payer's account number at the settlement center.

Banks pad it with leading zeros, drop them, or add spaces and dashes. For matching, the compact
form strips spaces, dashes and leading zeros; the raw value is always kept beside it.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from domain.identifiers._base import InvalidIdentifier
from domain.limits import MAX_ACCOUNT

_STRIP = re.compile(r"[\s\-\u00a0]+")
MAX_LENGTH = MAX_ACCOUNT
# What ``_STRIP`` strips, for RE2: Python's ``\s`` (str.isspace), dashes, NBSP.
_NOISE = (
    "[\\t\\n\\x{0b}\\x{0c}\\r\\x{1c}-\\x{1f} \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}"
    "\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}-]+"
)


def compact(number: str) -> str:
    """The matching form: no spaces or dashes, no leading zeros (``"0"`` stays ``"0"``)."""
    stripped = _STRIP.sub("", number)
    return stripped.lstrip("0") or ("0" if stripped else "")


def compact_column(raw: pa.Array) -> pa.Array:
    """``compact`` of each account number of a column, vectorised (null stays null)."""
    noisy = pc.any(pc.match_substring_regex(raw, _NOISE)).as_py()  # matching is half a replace
    stripped = pc.replace_substring_regex(raw, _NOISE, "") if noisy else raw
    trimmed = pc.utf8_ltrim(stripped, "0")
    return pc.if_else(pc.and_(pc.equal(trimmed, ""), pc.not_equal(stripped, "")), "0", trimmed)


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
