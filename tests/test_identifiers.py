"""Identifier validators: the vectors of docs/FORMATS.md (identifiers), broken inputs, generator properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.identifiers import InvalidIdentifier, bank_account, bic, els, inn, ipd, uin

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def digit_string(n: int) -> st.SearchStrategy[str]:
    """Strings of exactly ``n`` ASCII digits."""
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


# --- ИНН -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7707083893", "7707083893"),
        ("500100732259", "500100732259"),
        (" 7707 083-893 ", "7707083893"),
    ],
)
def test_inn_valid(raw: str, expected: str) -> None:
    assert inn.validate(raw) == expected
    assert inn.is_valid(raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1234567810", "check digits"),
        ("7707083894", "check digits"),
        ("500100732258", "check digits"),
        ("500100732269", "check digits"),
        ("770708389", "10 or 12 digits"),
        ("77070838931", "10 or 12 digits"),
        ("770708389A", "digits only"),
        ("７７０７０８３８９３", "digits only"),  # full-width digits are not ASCII
        ("", "empty"),
    ],
)
def test_inn_invalid(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        inn.validate(raw)
    assert not inn.is_valid(raw)


def test_inn_calc_check_digits_of_known_numbers() -> None:
    assert inn.calc_check_digits("770708389") == "3"
    assert inn.calc_check_digits("5001007322") == "59"
    with pytest.raises(InvalidIdentifier):
        inn.calc_check_digits("77070838")


@given(st.one_of(digit_string(9), digit_string(10)))
def test_inn_generated_check_digits_validate(base: str) -> None:
    assert inn.is_valid(base + inn.calc_check_digits(base))


@given(st.one_of(digit_string(9), digit_string(10)), st.data())
def test_inn_changing_one_digit_breaks_it(base: str, data: st.DataObject) -> None:
    number = base + inn.calc_check_digits(base)
    pos = data.draw(st.integers(0, len(number) - 1))
    new = data.draw(digits.filter(lambda d: d != number[pos]))
    changed = number[:pos] + new + number[pos + 1 :]
    # Weights mod 11 are non-zero for every position, but "mod 11 mod 10" folds 10 onto 0: a
    # change that moves the remainder between 0 and 10 keeps the check digit. Those are rare and
    # exactly computable, so allow them only when the reference computation says so.
    if len(number) == 10:
        still_valid = inn.calc_check_digits(changed[:9]) == changed[9]
    else:
        still_valid = inn.calc_check_digits(changed[:10]) == changed[10:]
    assert inn.is_valid(changed) == still_valid
    if pos >= len(base):  # a changed check digit itself is always caught
        assert not inn.is_valid(changed)


# --- bank account + БИК ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "bank_bic"),
    [
        ("40647859100000003330", "040033685"),
        ("30101810400000000225", "044525225"),  # correspondent: prefix 0 + БИК digits 5-6
        ("4064 7859 1000 0000 3330", "04 00 33 685"),
    ],
)
def test_account_valid(account: str, bank_bic: str) -> None:
    assert bank_account.validate(account, bank_bic) == bank_account.compact(account)
    assert bank_account.is_valid(account, bank_bic)
    assert bank_account.check_key(account, bank_bic)


@pytest.mark.parametrize(
    ("account", "bank_bic", "reason"),
    [
        ("40647859200000003330", "040033685", "control key"),  # key digit changed
        ("40647859100000003331", "040033685", "control key"),  # another digit changed
        ("40647859100000003330", "044525225", "control key"),  # right account, wrong bank
        ("30101810400000000226", "044525225", "control key"),
        ("4064785910000000333", "040033685", "20 digits"),
        ("406478591000000033300", "040033685", "20 digits"),
        ("4064785910000000333O", "040033685", "digits only"),  # letter O, not zero
        ("", "040033685", "empty"),
        ("40647859100000003330", "04003368", "БИК must have 9"),
        ("40647859100000003330", "", "empty БИК"),
    ],
)
def test_account_invalid(account: str, bank_bic: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        bank_account.validate(account, bank_bic)
    assert not bank_account.is_valid(account, bank_bic)


def test_account_prefix_rule_can_be_forced() -> None:
    # The correspondent account only validates with the 0 + digits 5-6 rule.
    assert not bank_account.check_key("30101810400000000225", "044525225", correspondent=False)
    assert bank_account.check_key("30101810400000000225", "044525225", correspondent=True)
    assert not bank_account.check_key("40647859100000003330", "040033685", correspondent=True)


def test_account_key_known_values() -> None:
    assert bank_account.calc_key("40647859000000003330", "040033685") == "1"
    assert bank_account.calc_key("30101810000000000225", "044525225") == "4"
    assert bank_account.with_key("40647859000000003330", "040033685") == "40647859100000003330"


@given(digit_string(20), digit_string(9), st.sampled_from([None, True, False]))
def test_account_with_key_always_validates(account: str, bank_bic: str, corr: bool | None) -> None:
    fixed = bank_account.with_key(account, bank_bic, correspondent=corr)
    assert bank_account.is_valid(fixed, bank_bic, correspondent=corr)


@given(digit_string(20), digit_string(9), st.data())
def test_account_changing_one_digit_breaks_it(account: str, bank_bic: str, data: st.DataObject) -> None:
    # Weights 7, 1, 3 are all coprime with 10, so any single-digit change moves the sum mod 10.
    fixed = bank_account.with_key(account, bank_bic)
    pos = data.draw(st.integers(0, 19))
    new = data.draw(digits.filter(lambda d: d != fixed[pos]))
    changed = fixed[:pos] + new + fixed[pos + 1 :]
    if bank_account.is_correspondent(changed) == bank_account.is_correspondent(fixed):
        assert not bank_account.is_valid(changed, bank_bic)


@pytest.mark.parametrize(("raw", "ok"), [("044525225", True), ("04452522", False), ("04452522X", False)])
def test_bic(raw: str, ok: bool) -> None:
    assert bic.is_valid(raw) is ok


# --- ЕЛС, ИЖКУ, ИПД --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("77АБ123456", "77АБ123456"),
        ("77аб123456", "77АБ123456"),
        ("77AB123456", "77АВ123456"),  # Latin A and B look like Cyrillic А and В
        (" 77 АБ 123456 ", "77АБ123456"),
    ],
)
def test_els_valid(raw: str, expected: str) -> None:
    assert els.validate(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("77АБ12345", "10 characters"),
        ("7АБВ123456", "2 digits, 2 Cyrillic"),
        ("77AZ123456", "2 digits, 2 Cyrillic"),  # Z has no Cyrillic look-alike
        ("77ЁЖ123456", "2 digits, 2 Cyrillic"),  # Ё is outside А-Я
        ("", "empty"),
    ],
)
def test_els_invalid(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        els.validate(raw)
    assert not els.is_valid(raw)


@pytest.mark.parametrize(
    ("raw", "ok"),
    [("77АБ123456-01", True), ("77аб123456–01", True), ("77АБ123456-1", False), ("77АБ12345601", False)],
)
def test_izhku(raw: str, ok: bool) -> None:
    assert els.is_valid_izhku(raw) is ok


def test_izhku_split_and_make() -> None:
    assert els.split_izhku("77АБ123456-07") == ("77АБ123456", "07")
    assert els.make("77", "АБ", 42) == "77АБ000042"


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        ("77АБ123456-01-0124", True),
        ("77аб123456-01-0124", True),
        ("77АБ123456-01-012", False),
        ("77АБ123456_01_0124", False),
        ("", False),
    ],
)
def test_ipd(raw: str, ok: bool) -> None:
    assert ipd.is_valid(raw) is ok


# --- УИН -------------------------------------------------------------------------------------


def reference_uin_digit(body: str) -> str:
    """The УИН rule written out literally, independent of the module."""
    first = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] * 3
    second = [3, 4, 5, 6, 7, 8, 9, 10, 1, 2] * 3
    rem = sum(int(d) * w for d, w in zip(body, first, strict=False)) % 11
    if rem == 10:
        rem = sum(int(d) * w for d, w in zip(body, second, strict=False)) % 11
    return "0" if rem == 10 else str(rem)


def _first_body(pred: object) -> str:
    """The first 19-digit body (counting up) whose remainders satisfy ``pred``."""
    for n in range(10**6):
        body = f"{n:019d}"
        if pred(body):  # type: ignore[operator]
            return body
    raise AssertionError("no body found")


def _rem(body: str, shift: int) -> int:
    return sum(int(d) * ((i + shift) % 10 + 1) for i, d in enumerate(body)) % 11


@pytest.mark.parametrize(
    "branch",
    ["plain", "shifted", "zero"],
)
def test_uin_all_branches(branch: str) -> None:
    preds = {
        "plain": lambda b: _rem(b, 0) != 10,
        "shifted": lambda b: _rem(b, 0) == 10 and _rem(b, 2) != 10,
        "zero": lambda b: _rem(b, 0) == 10 and _rem(b, 2) == 10,
    }
    body = _first_body(preds[branch])
    digit = uin.calc_check_digit(body)
    assert digit == reference_uin_digit(body)
    assert uin.validate(body + digit) == body + digit
    wrong = str((int(digit) + 1) % 10)
    assert not uin.is_valid(body + wrong)


@given(st.one_of(digit_string(19), digit_string(24)))
def test_uin_generated_check_digit_validates(body: str) -> None:
    digit = uin.calc_check_digit(body)
    assert digit == reference_uin_digit(body)
    assert uin.is_valid(body + digit)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("0", "no УИН"), ("", "no УИН"), ("1234567890123456789", "20 or 25"), ("1234567890123456789X", "digits")],
)
def test_uin_invalid(raw: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        uin.validate(raw)


def test_uin_absent() -> None:
    assert uin.is_absent("0") and uin.is_absent(" ") and not uin.is_absent("1")
