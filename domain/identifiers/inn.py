"""ИНН: taxpayer identification number, 10 digits (organisation) or 12 digits (person).

Check digits (docs/FORMATS.md, identifiers): each is a weighted digit sum ``mod 11 mod 10``. A 10-digit
ИНН has one check digit, a 12-digit ИНН two, the second computed over the first eleven digits.
"""

from __future__ import annotations

from domain.identifiers._base import InvalidIdentifier
from domain.identifiers._text import is_ascii_digits, strip_separators

_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _digit(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


def calc_check_digits(number: str) -> str:
    """The check digit(s) completing a partial ИНН.

    Given the first 9 digits, return the one check digit of a 10-digit ИНН; given the first 10
    digits, return the two check digits of a 12-digit ИНН. Deterministic, so synthetic-data
    generators can build valid numbers: ``base + calc_check_digits(base)``.
    """
    if not is_ascii_digits(number) or len(number) not in (9, 10):
        raise InvalidIdentifier(f"need the first 9 or 10 digits of an ИНН, got {number!r}")
    if len(number) == 9:
        return _digit(number, _W10)
    c11 = _digit(number, _W11)
    return c11 + _digit(number + c11, _W12)


def compact(number: str) -> str:
    """The ИНН without spaces, dashes or dots."""
    return strip_separators(number)


def validate(number: str) -> str:
    """Return the compact ИНН or raise ``InvalidIdentifier`` saying what is wrong."""
    value = compact(number)
    if not value:
        raise InvalidIdentifier("empty ИНН")
    if not is_ascii_digits(value):
        raise InvalidIdentifier(f"ИНН must be digits only: {number!r}")
    if len(value) not in (10, 12):
        raise InvalidIdentifier(f"ИНН must have 10 or 12 digits, got {len(value)}: {number!r}")
    expected = calc_check_digits(value[:-1] if len(value) == 10 else value[:-2])
    actual = value[-len(expected) :]
    if actual != expected:
        raise InvalidIdentifier(f"ИНН check digits {actual} do not match the expected {expected}: {number!r}")
    return value


def is_valid(number: str) -> bool:
    """Whether ``number`` is a valid ИНН."""
    try:
        validate(number)
    except InvalidIdentifier:
        return False
    return True
