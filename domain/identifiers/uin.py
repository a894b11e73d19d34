"""УИН: уникальный идентификатор начисления of ГИС ГМП, 20 or 25 digits, last one a check digit.

Check digit (docs/FORMATS.md, identifiers): weighted sum of the other digits with weights 1..10 repeating,
``mod 11``; if the remainder is 10, the sum is taken again with the weights shifted by two (3..10,
1, 2, ...); if that remainder is 10 too, the check digit is 0.

In payment orders ``0`` stands for "no УИН"; ``is_absent`` recognises it so callers can tell a
missing УИН from a wrong one.
"""

from __future__ import annotations

from domain.identifiers._base import InvalidIdentifier
from domain.identifiers._text import is_ascii_digits, strip_separators

LENGTHS = (20, 25)


def _remainder(digits: str, shift: int) -> int:
    return sum(int(d) * ((i + shift) % 10 + 1) for i, d in enumerate(digits)) % 11


def calc_check_digit(number: str) -> str:
    """The check digit completing the first 19 or 24 digits of a УИН (deterministic)."""
    if not is_ascii_digits(number) or len(number) + 1 not in LENGTHS:
        raise InvalidIdentifier(f"need the first 19 or 24 digits of a УИН, got {number!r}")
    remainder = _remainder(number, 0)
    if remainder == 10:
        remainder = _remainder(number, 2)
    return "0" if remainder == 10 else str(remainder)


def compact(number: str) -> str:
    """The УИН without spaces, dashes or dots."""
    return strip_separators(number)


def is_absent(number: str) -> bool:
    """Whether the field says "no УИН": empty or ``0``, as payment orders write it."""
    return compact(number) in ("", "0")


def validate(number: str) -> str:
    """Return the compact УИН or raise ``InvalidIdentifier``."""
    value = compact(number)
    if is_absent(value):
        raise InvalidIdentifier(f"no УИН given: {number!r}")
    if not is_ascii_digits(value):
        raise InvalidIdentifier(f"УИН must be digits only: {number!r}")
    if len(value) not in LENGTHS:
        raise InvalidIdentifier(f"УИН must have 20 or 25 digits, got {len(value)}: {number!r}")
    expected = calc_check_digit(value[:-1])
    if value[-1] != expected:
        raise InvalidIdentifier(f"УИН check digit {value[-1]} does not match the expected {expected}: {number!r}")
    return value


def is_valid(number: str) -> bool:
    """Whether ``number`` is a valid УИН."""
    try:
        validate(number)
    except InvalidIdentifier:
        return False
    return True
