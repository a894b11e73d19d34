"""ЕЛС (единый лицевой счёт, ГИС ЖКХ) and ИЖКУ (идентификатор жилищно-коммунальной услуги).

ЕЛС is 10 characters ``\\d{2}[А-Я]{2}\\d{6}``; ИЖКУ is the ЕЛС, a dash and two digits (13
characters). Neither has a check digit. Banks and people often type the two letters with Latin
look-alikes (``A``, ``B``, ``E``...), and in lower case; the compact form folds those into the
Cyrillic capitals so the same ЕЛС compares equal however it was typed.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from domain.identifiers._base import InvalidIdentifier

_ELS_RE = re.compile(r"\d{2}[А-Я]{2}\d{6}")
_IZHKU_RE = re.compile(r"(\d{2}[А-Я]{2}\d{6})-(\d{2})")
# Latin letters that look like Cyrillic capitals; only these can be told apart by eye alone.
_HOMOGLYPHS = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")


def compact(number: str) -> str:
    """Strip spaces, upper-case, fold Latin look-alikes to Cyrillic and unify dashes to ``-``."""
    if not isinstance(number, str):
        raise TypeError(f"identifier must be text, got {type(number).__name__}")
    value = _DASHES.sub("-", _SPACES.sub("", number)).upper()
    return value.translate(_HOMOGLYPHS)


def validate(number: str) -> str:
    """Return the compact ЕЛС or raise ``InvalidIdentifier``."""
    value = compact(number)
    if not value:
        raise InvalidIdentifier("empty ЕЛС")
    if len(value) != 10:
        raise InvalidIdentifier(f"ЕЛС must have 10 characters, got {len(value)}: {number!r}")
    if not _ELS_RE.fullmatch(value):
        raise InvalidIdentifier(f"ЕЛС must be 2 digits, 2 Cyrillic letters, 6 digits: {number!r}")
    return value


def is_valid(number: str) -> bool:
    """Whether ``number`` is a well-formed ЕЛС."""
    try:
        validate(number)
    except InvalidIdentifier:
        return False
    return True


def validate_izhku(number: str) -> str:
    """Return the compact ИЖКУ (``ЕЛС-NN``) or raise ``InvalidIdentifier``."""
    value = compact(number)
    if not value:
        raise InvalidIdentifier("empty ИЖКУ")
    if not _IZHKU_RE.fullmatch(value):
        raise InvalidIdentifier(f"ИЖКУ must be an ЕЛС, a dash and 2 digits (13 characters): {number!r}")
    return value


def is_valid_izhku(number: str) -> bool:
    """Whether ``number`` is a well-formed ИЖКУ."""
    try:
        validate_izhku(number)
    except InvalidIdentifier:
        return False
    return True


def split_izhku(number: str) -> tuple[str, str]:
    """Split a valid ИЖКУ into its ЕЛС and the 2-digit premises suffix."""
    els, suffix = validate_izhku(number).split("-")
    return els, suffix


def make(region: str, letters: str, serial: int) -> str:
    """Build an ЕЛС for synthetic data: ``make("77", "АБ", 42)`` gives ``77АБ000042``."""
    value = f"{region}{letters}{serial:06d}"
    return validate(value)


def fold_column(values: pa.Array) -> pa.Array:
    """Column version of ``compact``: no spaces, upper case, Latin look-alikes folded, one dash."""
    value = pc.utf8_upper(pc.replace_substring_regex(values.cast(pa.large_string()), "[\\s\u00a0\u202f]+", ""))
    value = pc.replace_substring_regex(value, "[\u2010-\u2015\u2212]", "-")
    for latin, cyrillic in zip("ABCEHKMOPTXY", "АВСЕНКМОРТХУ", strict=True):  # look-alikes, as ``compact``
        value = pc.replace_substring(value, latin, cyrillic)
    return value


def split_column(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Column version of ``compact`` + ``split_izhku``: for each text, its ЕЛС and its ИЖКУ.

    An ЕЛС gives ``(ЕЛС, null)``, an ИЖКУ gives ``(its ЕЛС, ИЖКУ)``, anything else (null, empty,
    malformed) ``(null, null)``: a malformed ЕЛС identifies nothing, so matching ignores it.
    """
    value = fold_column(values)
    is_els = pc.match_substring_regex(value, f"^{_ELS_RE.pattern}$")
    is_izhku = pc.match_substring_regex(value, f"^{_IZHKU_RE.pattern}$")
    null = pa.nulls(len(value), pa.large_string())
    els = pc.if_else(is_els, value, pc.if_else(is_izhku, pc.utf8_slice_codeunits(value, 0, 10), null))
    return els, pc.if_else(is_izhku, value, null)
