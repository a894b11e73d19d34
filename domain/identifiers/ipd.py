"""ИПД: идентификатор платёжного документа of ГИС ЖКХ, 18 characters, no check digit.

The ГИС ЖКХ schema (``hcs-bills-base.xsd``, ``PaymentDocumentID``) only fixes the length. Only the
form is checked here: 18 characters of digits, Cyrillic capitals and dashes, after the same folding
as the ЕЛС (spaces dropped, upper case, Latin look-alikes to Cyrillic).
"""

from __future__ import annotations

import re

from domain.identifiers._base import InvalidIdentifier
from domain.identifiers.els import compact as _fold

LENGTH = 18
_ALLOWED = re.compile(r"[0-9А-ЯЁ\-]+")


def compact(number: str) -> str:
    """Strip spaces, upper-case, fold Latin look-alikes to Cyrillic and unify dashes."""
    return _fold(number)


def validate(number: str) -> str:
    """Return the compact ИПД or raise ``InvalidIdentifier``."""
    value = compact(number)
    if not value:
        raise InvalidIdentifier("empty ИПД")
    if len(value) != LENGTH:
        raise InvalidIdentifier(f"ИПД must have {LENGTH} characters, got {len(value)}: {number!r}")
    if not _ALLOWED.fullmatch(value):
        raise InvalidIdentifier(f"ИПД may hold only digits, Cyrillic capitals and dashes: {number!r}")
    return value


def is_valid(number: str) -> bool:
    """Whether ``number`` has the form of an ИПД."""
    try:
        validate(number)
    except InvalidIdentifier:
        return False
    return True
