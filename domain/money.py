"""Money as integer kopecks: the one place amounts are read from text and written back to text.

Amounts arrive as text in Russian and international spellings (``1 234,56``, ``1234.56``,
``1500``, ``000001500,00``, ``150000`` kopecks). They are parsed straight into integer kopecks
without ever passing through ``float``; a value that is not an exact amount of kopecks is an
error, not a rounding. Each file format's quirks are a ``Spelling`` (which decimal mark, rubles or
kopecks, signs, thousands separators, how many digits); ``domain.money_vec`` holds the column
twins of ``parse`` and ``format_kopecks``, which agree with them value for value (see
docs/FORMATS.md for the spellings of each register format).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

INT64_MAX = 2**63 - 1  # what the ledger's columns hold; an amount beyond it is unreadable
NBSP = "\u00a0"
# Spaces that banks and Excel put between thousands: plain, no-break, narrow no-break, thin.
SPACES = " \u00a0\u202f\u2009"
# What ``str.strip`` removes (``str.isspace``), spelled out so the column twin strips the same.
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())

# Why an amount could not be read: the codes ``money_vec`` reports per row.
MISSING, UNREADABLE, NEGATIVE, TOO_LARGE = "missing", "unreadable", "negative", "too large"


class AmountError(ValueError):
    """A text that is not an exact amount of money; ``reason`` is one of the codes above."""

    def __init__(self, message: str, reason: str = UNREADABLE) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Spelling:
    """How one kind of file writes its amounts.

    ``decimal``: ``","``, ``"."`` or ``"any"``; ``unit``: ``"rubles"`` or ``"kopecks"`` (a whole
    number); ``signs``: a leading ``+``/``-`` is read at all (a ``-`` then needs ``negative``);
    ``groups``: characters dropped anywhere (thousands separators); ``strip``: surrounding
    whitespace is ignored; ``max_digits``: at most this many digits written before the decimal
    mark (all digits for kopecks), leading zeros included; ``None``: whatever fits int64.
    """

    decimal: str = "any"
    unit: str = "rubles"
    signs: bool = True
    groups: str = SPACES + "'"
    strip: bool = True
    max_digits: int | None = None
    negative: bool = False

    def __post_init__(self) -> None:
        if self.decimal not in (",", ".", "any") or self.unit not in ("rubles", "kopecks"):
            raise ValueError(f"bad spelling: decimal {self.decimal!r}, unit {self.unit!r}")

    def regex(self) -> str:
        """The pattern (Python ``re`` and RE2 alike) a cleaned amount must match in full."""
        sign = "(?P<s>[-+]?)" if self.signs else "(?P<s>)"
        if self.unit == "kopecks":
            return rf"^{sign}(?P<w>[0-9]+)(?P<f>)$"
        sep = {",": ",", ".": r"\.", "any": "[.,]"}[self.decimal]
        return rf"^{sign}(?P<w>[0-9]+)(?:{sep}(?P<f>[0-9]{{1,2}}))?$"


# ``parse_amount``: any decimal mark, signs, spaces and apostrophes between thousands.
AMOUNT = Spelling()
# ``parse_kopecks``: ГИС ЖКХ ``Amount``, QR ``Sum``: ASCII digits only.
KOPECKS = Spelling(unit="kopecks", signs=False, groups="")
# Spreadsheet columns whose header says коп.: whole kopecks, spaces between thousands.
SHEET_KOPECKS = Spelling(unit="kopecks", signs=False, groups=" " + NBSP)
# ГИС ЖКХ ``Amount`` columns (trimmed already): ASCII digits that fit int64 (docs/FORMATS.md).
GIS_KOPECKS = Spelling(unit="kopecks", signs=False, groups="", strip=False, max_digits=18)
# Text and DBF registers (``register_spelling``): fields come trimmed, no sign, 15 ruble digits.
MAX_RUBLE_DIGITS = 15  # 10^15 rubles stays far inside int64 even summed over a file


@lru_cache(maxsize=16)
def register_spelling(decimal: str, unit: str) -> Spelling:
    """The spelling of a text/DBF register dialect's amounts (``amount: {decimal, unit}``)."""
    digits = MAX_RUBLE_DIGITS + 2 if unit == "kopecks" else MAX_RUBLE_DIGITS
    return Spelling(decimal=decimal, unit=unit, signs=False, groups=SPACES, strip=False, max_digits=digits)


@lru_cache(maxsize=64)
def _compiled(spelling: Spelling) -> re.Pattern[str]:
    return re.compile(spelling.regex())


def parse(text: str, spelling: Spelling = AMOUNT) -> int:
    """Kopecks of ``text`` written in ``spelling``; ``AmountError`` (with its reason) when it is not one."""
    if not isinstance(text, str):
        noun = "kopecks" if spelling.unit == "kopecks" else "amount"
        raise AmountError(f"{noun} must be text, got {type(text).__name__}: {text!r}")
    cleaned = text.strip(WHITESPACE) if spelling.strip else text
    if spelling.groups:
        cleaned = cleaned.translate(_drop(spelling.groups))
    if not cleaned:
        if spelling.unit == "kopecks":
            raise AmountError(f"not a whole number of kopecks: {text!r}", MISSING)
        raise AmountError("empty amount", MISSING)
    match = _compiled(spelling).fullmatch(cleaned)
    if match is None:
        if spelling.unit == "kopecks":
            raise AmountError(f"not a whole number of kopecks: {text!r}")
        raise AmountError(f"not an amount: {text!r}")
    whole = match["w"]
    if spelling.max_digits is not None and len(whole) > spelling.max_digits:
        raise AmountError(f"amount too large: {text!r}", TOO_LARGE)
    if spelling.unit == "kopecks":
        kopecks = int(whole)
    else:
        kopecks = int(whole) * 100 + int((match["f"] or "").ljust(2, "0"))
    if match["s"] == "-":
        if not spelling.negative:
            raise AmountError(f"negative amount: {text!r}", NEGATIVE)
        kopecks = -kopecks
    if abs(kopecks) > INT64_MAX:
        raise AmountError(f"amount too large: {text!r}", TOO_LARGE)
    return kopecks


def parse_or_none(text: str | None, spelling: Spelling = AMOUNT) -> int | None:
    """``parse``, but None for no text or unreadable text (a rejected line's amount, a probe)."""
    if text is None:
        return None
    try:
        return parse(text, spelling)
    except AmountError:
        return None


@lru_cache(maxsize=16)
def _drop(chars: str) -> dict[int, None]:
    return str.maketrans("", "", chars)


def parse_amount(text: str, *, allow_negative: bool = False) -> int:
    """Parse a money amount written as text into integer kopecks.

    Accepts a decimal comma or point, up to two fraction digits, thousands separated by spaces
    (including no-break spaces) or apostrophes, leading zeros and a sign. Rejects floats and
    other non-strings, empty text, more than two fraction digits, several separators, a minus
    unless ``allow_negative`` and anything else.
    """
    return parse(text, AMOUNT if not allow_negative else _AMOUNT_SIGNED)


_AMOUNT_SIGNED = Spelling(negative=True)


def parse_kopecks(text: str) -> int:
    """Parse a whole number of kopecks written as digits (ГИС ЖКХ ``Amount``, QR ``Sum``)."""
    return parse(text, KOPECKS)


def to_decimal(kopecks: int) -> Decimal:
    """Rubles as a Decimal with exactly two places."""
    return (Decimal(kopecks) / 100).quantize(Decimal("0.01"))


def format_kopecks(kopecks: int, *, decimal: str = ".", group: str = "") -> str:
    """Kopecks as rubles text: ``-1234.56``; ``decimal`` is the mark, ``group`` goes between thousands."""
    sign = "-" if kopecks < 0 else ""
    whole, frac = divmod(abs(int(kopecks)), 100)
    rubles = f"{whole:,}".replace(",", group) if group else str(whole)
    return f"{sign}{rubles}{decimal}{frac:02d}"


def format_amount(kopecks: int) -> str:
    """Machine format of JSON, CSV and 1C exchange files (``Сумма=1234.56``): ``-1234.56``."""
    return format_kopecks(kopecks)


def format_ru(kopecks: int) -> str:
    """Russian display format with a no-break space between thousands: ``1 234,56``."""
    return format_kopecks(kopecks, decimal=",", group=NBSP)
