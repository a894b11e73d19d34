"""БИК: the 9-digit bank identification code of the Bank of Russia directory."""

from __future__ import annotations

from domain.identifiers._base import InvalidIdentifier
from domain.identifiers._text import is_ascii_digits, strip_separators

LENGTH = 9


def compact(number: str) -> str:
    """The БИК without spaces, dashes or dots."""
    return strip_separators(number)


def validate(number: str) -> str:
    """Return the compact БИК or raise ``InvalidIdentifier``.

    A БИК has no check digit; only its form is checked (9 ASCII digits).
    """
    value = compact(number)
    if not value:
        raise InvalidIdentifier("empty БИК")
    if not is_ascii_digits(value):
        raise InvalidIdentifier(f"БИК must be digits only: {number!r}")
    if len(value) != LENGTH:
        raise InvalidIdentifier(f"БИК must have {LENGTH} digits, got {len(value)}: {number!r}")
    return value


def is_valid(number: str) -> bool:
    """Whether ``number`` has the form of a БИК."""
    try:
        validate(number)
    except InvalidIdentifier:
        return False
    return True
