"""Bank account number (20 digits) and its control key against the БИК.

The control key (docs/FORMATS.md, identifiers) is digit 9 of the account. It is checked over 23 digits: a
3-digit prefix taken from the БИК, then the account; weights 7, 1, 3 repeat; the sum of the last
digits of each product must end in 0. The prefix is the last three digits of the БИК for an account
opened at a bank, and ``0`` + БИК digits 5-6 for an account opened at the Bank of Russia: a bank's
correspondent account (balance account 30101, paired with that bank's own БИК) or any account at a
Bank of Russia division, whose БИК ends in 000, 001 or 002.

Treasury accounts (казначейские счета, ``03...``): the key rule for them is not confirmed here, so
the QR parser checks only their form.
"""

from __future__ import annotations

from domain.identifiers import bic as _bic
from domain.identifiers._base import InvalidIdentifier
from domain.identifiers._text import is_ascii_digits, strip_separators

LENGTH = 20
KEY_POSITION = 8  # 0-based index of the control key inside the account
CORRESPONDENT_PREFIX = "30101"
TREASURY_PREFIX = "03"
_CBR_DIVISION_SUFFIXES = ("000", "001", "002")
_WEIGHTS = (7, 1, 3)


def compact(number: str) -> str:
    """The account number without spaces, dashes or dots."""
    return strip_separators(number)


def is_correspondent(account: str) -> bool:
    """Whether the account is a bank's correspondent account at the Bank of Russia (30101...)."""
    return compact(account).startswith(CORRESPONDENT_PREFIX)


def is_treasury(account: str) -> bool:
    """Whether the account is a treasury account (казначейский счёт, starting with 03)."""
    return compact(account).startswith(TREASURY_PREFIX)


def _at_bank_of_russia(account: str, bic: str, correspondent: bool | None) -> bool:
    if correspondent is not None:
        return correspondent
    return account.startswith(CORRESPONDENT_PREFIX) or bic.endswith(_CBR_DIVISION_SUFFIXES)


def validate_format(account: str) -> str:
    """Return the compact account if it is 20 digits, without checking the key; else raise."""
    value = compact(account)
    if not value:
        raise InvalidIdentifier("empty account number")
    if not is_ascii_digits(value):
        raise InvalidIdentifier(f"account number must be digits only: {account!r}")
    if len(value) != LENGTH:
        raise InvalidIdentifier(f"account number must have {LENGTH} digits, got {len(value)}: {account!r}")
    return value


def _check_format(account: str, bic: str) -> tuple[str, str]:
    return validate_format(account), _bic.validate(bic)


def _prefix(bic: str, correspondent: bool) -> str:
    return "0" + bic[4:6] if correspondent else bic[6:9]


def _weighted(digits: str) -> int:
    return sum(int(d) * _WEIGHTS[i % 3] % 10 for i, d in enumerate(digits))


def calc_key(account: str, bic: str, *, correspondent: bool | None = None) -> str:
    """The control key digit that position 9 of ``account`` must hold for ``bic``.

    The digit currently at position 9 is ignored, so a synthetic-data generator can build a valid
    account deterministically: ``acc[:8] + calc_key(acc, bic) + acc[9:]`` (or ``with_key``).
    ``correspondent`` forces the prefix rule; by default it follows the module docstring.
    """
    value, bic_value = _check_format(account, bic)
    corr = _at_bank_of_russia(value, bic_value, correspondent)
    digits = _prefix(bic_value, corr) + value[:KEY_POSITION] + "0" + value[KEY_POSITION + 1 :]
    # The key sits at index 3 + 8 = 11, weight 3; 7 is the inverse of 3 modulo 10.
    return str((-_weighted(digits)) * 7 % 10)


def with_key(account: str, bic: str, *, correspondent: bool | None = None) -> str:
    """``account`` (compact) with its digit 9 replaced by the right control key for ``bic``."""
    value = compact(account)
    key = calc_key(value, bic, correspondent=correspondent)
    return value[:KEY_POSITION] + key + value[KEY_POSITION + 1 :]


def check_key(account: str, bic: str, *, correspondent: bool | None = None) -> bool:
    """Whether the control key of ``account`` matches ``bic``; raises on a malformed input."""
    value, bic_value = _check_format(account, bic)
    corr = _at_bank_of_russia(value, bic_value, correspondent)
    return _weighted(_prefix(bic_value, corr) + value) % 10 == 0


def validate(account: str, bic: str, *, correspondent: bool | None = None) -> str:
    """Return the compact account or raise ``InvalidIdentifier`` (format of either, or the key).

    ``correspondent`` forces the БИК prefix rule; by default an account starting with 30101 or a
    БИК of a Bank of Russia division selects the ``0`` + digits 5-6 prefix.
    """
    value, _ = _check_format(account, bic)
    if not check_key(value, bic, correspondent=correspondent):
        expected = calc_key(value, bic, correspondent=correspondent)
        raise InvalidIdentifier(
            f"account {value} fails the control key with БИК {compact(bic)}: "
            f"digit 9 is {value[KEY_POSITION]}, expected {expected}"
        )
    return value


def is_valid(account: str, bic: str, *, correspondent: bool | None = None) -> bool:
    """Whether ``account`` is a well-formed account whose control key matches ``bic``."""
    try:
        validate(account, bic, correspondent=correspondent)
    except InvalidIdentifier:
        return False
    return True
