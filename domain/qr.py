"""Receipt QR payload of ГОСТ Р 56042-2014: ``ST0001`` + encoding digit + separator + ``Key=Value``.

``compose`` writes a payload (UTF-8, ``|``), the inverse of ``parse``.

The header's encoding digit (1 cp1251, 2 UTF-8, 3 KOI8-R) is not trusted: printers of receipts get
it wrong often enough. Bytes are decoded as UTF-8 if they are valid UTF-8; otherwise cp1251 and
KOI8-R are both tried and the one that reads more like Russian text wins (the digit only breaks a
tie). The separator is the character after the header, ``|`` in practice. Keys arrive in any
letter case and are mapped to the canonical names of the standard.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from domain.identifiers import InvalidIdentifier, bank_account, bic, inn, ipd, uin
from domain.money import AmountError, parse_kopecks

_HEADER = re.compile(r"ST0001(?P<enc>\d)", re.IGNORECASE)
_DECLARED = {"1": "cp1251", "2": "utf-8", "3": "koi8_r"}
MANDATORY = ("Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc")
# Canonical key names of ГОСТ Р 56042-2014 (mandatory, additional and other requisites).
KNOWN_KEYS = (
    *MANDATORY,
    *(
        "Sum Purpose PayeeINN PayerINN DrawerStatus KPP CBC OKTMO PaytReason TaxPeriod DocNo DocDate "
        "TaxPaytKind LastName FirstName MiddleName PayerAddress PersonalAccount DocIdx PensAcc Contract "
        "PersAcc Flat Phone PayerIdType PayerIdNum ChildFio BirthDate PaymTerm PaymPeriod Category "
        "ServiceName CounterId CounterVal QuittId QuittDate InstNum ClassNum SpecFio AddAmount RuleId "
        "ExecId RegType UIN TechCode"
    ).split(),
)
_CANONICAL = {key.lower(): key for key in KNOWN_KEYS}
# Keys that become attributes of QrPayment; the rest go to ``extra``.
_FIELDS = {
    "Name": "name",
    "PersonalAcc": "personal_acc",
    "BankName": "bank_name",
    "BIC": "bic",
    "CorrespAcc": "corresp_acc",
    "PayeeINN": "payee_inn",
    "PersAcc": "pers_acc",
    "PaymPeriod": "paym_period",
    "Purpose": "purpose",
    "UIN": "uin",
    "TechCode": "tech_code",
}

# Relative frequency (per mille) of Russian letters, used to tell cp1251 from KOI8-R text.
_FREQ = {
    pair[0]: float(pair[1:])
    for pair in (
        "о110 е85 а80 и74 н67 т63 с55 р47 в45 л44 к35 м32 д30 п28 у26 я20 ы19 ь17 г17 з16 б16 ч14 й12 х10 "
        "ж9 ш7 ю6 ц5 щ4 э3 ф3 ъ0.4 ё0.4"
    ).split()
}


_ODD = re.compile(r"[^\x00-\x7f А-Яа-яЁё«»№–—“”„‘’\u00a0]")


_VALUE_START = re.compile(r"=\s*[\"'«(]?([А-Яа-яЁё])")


class QrError(ValueError):
    """A QR payload that is not a usable ГОСТ Р 56042-2014 payment; the message says why."""


@dataclass(frozen=True)
class QrPayment:
    """A payment read from a receipt QR code. Optional fields absent from the payload are None.

    ``corresp_acc`` is ``"0"`` when the payee's bank has no correspondent account (the standard's
    spelling of "none"). ``extra`` holds every other requisite under its canonical name (unknown
    keys as written).
    """

    name: str
    personal_acc: str
    bank_name: str
    bic: str
    corresp_acc: str
    payee_inn: str | None = None
    pers_acc: str | None = None
    paym_period: str | None = None
    sum_kopecks: int | None = None
    purpose: str | None = None
    uin: str | None = None
    tech_code: str | None = None
    encoding: str = "utf-8"
    extra: dict[str, str] = field(default_factory=dict)


def _russian_score(text: str) -> float:
    """Log-likelihood-like score of how Russian the Cyrillic letters of ``text`` look."""
    # Non-ASCII characters other than Cyrillic letters and usual typography (box drawing, Ђ, Ј...)
    # appear when one code page is read as the other.
    score = -20.0 * len(_ODD.findall(text))
    # Values (names, banks, purposes) start with a capital; the code pages swap letter case.
    score += sum(4.0 if first.isupper() else -4.0 for first in _VALUE_START.findall(text))
    for word in re.findall(r"[А-Яа-яЁё]+", text):
        lower = word.lower()
        score += sum(math.log(_FREQ.get(ch, 0.1)) for ch in lower)
        # A word mixing cases other than as Title or ALL CAPS is a sign of the wrong code page.
        if not (word.islower() or word.isupper() or word.istitle()):
            score -= 5.0 * len(word)
    return score


def decode(payload: bytes | str) -> tuple[str, str]:
    """Decode a payload, returning the text and the encoding used (see the module docstring)."""
    if isinstance(payload, str):
        return payload, "str"
    if not isinstance(payload, bytes | bytearray):
        raise QrError(f"QR payload must be bytes or str, got {type(payload).__name__}")
    raw = bytes(payload).removeprefix(b"\xef\xbb\xbf")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = _DECLARED.get(raw[6:7].decode("latin-1"))
    candidates = [(_russian_score(raw.decode(enc)), enc == declared, enc) for enc in ("cp1251", "koi8_r")]
    _, _, best = max(candidates)
    return raw.decode(best), best


def _pairs(text: str) -> dict[str, str]:
    text = text.strip().strip("\x00")
    header = _HEADER.match(text)
    if header is None:
        raise QrError(f"not a ГОСТ Р 56042 payload (no ST0001 header): {text[:20]!r}")
    sep = text[header.end() : header.end() + 1]
    if not sep or sep.isalnum() or sep == "=":
        raise QrError(f"no field separator after the ST0001 header: {text[:20]!r}")
    values: dict[str, str] = {}
    for part in text[header.end() + 1 :].split(sep):
        if not part.strip():
            continue  # a trailing or doubled separator
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or not key:
            raise QrError(f"field without Key=Value form: {part!r}")
        canonical = _CANONICAL.get(key.lower(), key)
        value = value.strip()
        if canonical in values and values[canonical] != value:
            raise QrError(f"field {canonical} given twice with different values")
        values[canonical] = value
    return values


def _check_identifiers(values: dict[str, str]) -> None:
    bank_bic = values["BIC"]
    try:
        bic.validate(bank_bic)
        if bank_account.is_treasury(values["PersonalAcc"]):
            # The 7-1-3 key against a treasury БИК is not confirmed for 03... accounts: form only.
            bank_account.validate_format(values["PersonalAcc"])
        else:
            bank_account.validate(values["PersonalAcc"], bank_bic)
        if values["CorrespAcc"] != "0":
            bank_account.validate(values["CorrespAcc"], bank_bic, correspondent=True)
        if values.get("PayeeINN"):
            inn.validate(values["PayeeINN"])
        # Printed ЖКУ receipts put the ГИС ЖКХ ИПД (18 characters) into UIN: no check digit to test
        if values.get("UIN") and not uin.is_absent(values["UIN"]) and not ipd.is_valid(values["UIN"]):
            uin.validate(values["UIN"])
    except InvalidIdentifier as exc:
        raise QrError(str(exc)) from exc


def parse(payload: bytes | str, *, check_identifiers: bool = True) -> QrPayment:
    """Parse a receipt QR payload into a ``QrPayment`` or raise ``QrError`` with the reason.

    Mandatory requisites must be present and non-empty. With ``check_identifiers`` the БИК, the
    payee account (control key; form only for treasury accounts), the correspondent account, and
    the payee ИНН and УИН when present are validated too. Accounts and БИК come back compact.
    """
    text, encoding = decode(payload)
    values = _pairs(text)
    missing = [key for key in MANDATORY if not values.get(key)]
    if missing:
        raise QrError(f"mandatory fields missing or empty: {', '.join(missing)}")
    for key in ("PersonalAcc", "BIC", "CorrespAcc"):
        values[key] = bank_account.compact(values[key])
    if check_identifiers:
        _check_identifiers(values)
    sum_kopecks = None
    if values.get("Sum"):
        try:
            sum_kopecks = parse_kopecks(values["Sum"])
        except AmountError as exc:
            raise QrError(f"Sum is not a whole number of kopecks: {values['Sum']!r}") from exc
    kwargs = {attr: values.get(key) or None for key, attr in _FIELDS.items()}
    extra = {key: value for key, value in values.items() if key not in _FIELDS and key != "Sum"}
    return QrPayment(**kwargs, sum_kopecks=sum_kopecks, encoding=encoding, extra=extra)


COMPOSE_ORDER = (*MANDATORY, "PayeeINN", "PersAcc", "PaymPeriod", "Sum", "Purpose", "Category", "TechCode", "UIN")


def compose(values: dict[str, str]) -> str:
    """A UTF-8 payload (``ST00012|Key=Value|…``) of ``values`` by canonical key: the standard's
    order first, then any other key as given. Empty values are left out; a ``|`` in a value would
    split it, so it is refused, and so are the missing mandatory requisites.

    >>> compose({"Sum": "150075", "Name": "РКЦ", "PersonalAcc": "40702810938000000001", "BankName": "ПАО Сбербанк",
    ...          "BIC": "044525225", "CorrespAcc": "30101810400000000225"}).split("|")[:2] + ["…"]
    ['ST00012', 'Name=РКЦ', '…']
    """
    missing = [key for key in MANDATORY if not values.get(key)]
    if missing:
        raise QrError(f"mandatory fields missing or empty: {', '.join(missing)}")
    keys = [k for k in COMPOSE_ORDER if k in values] + [k for k in values if k not in COMPOSE_ORDER]
    parts = []
    for key in keys:
        value = str(values[key]).strip()
        if "|" in value:
            raise QrError(f"{key} holds the separator |: {value!r}")
        if value:
            parts.append(f"{key}={value}")
    return "ST00012|" + "|".join(parts)
