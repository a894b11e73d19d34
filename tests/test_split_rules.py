"""The rules of assigning a suspense payment in parts (``domain.parts``) and of accepting a register
whose totals do not tie (``domain.acceptance``): table-driven, and the parts' invariant by hypothesis."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.acceptance import Totals, acceptance_note, acceptance_refusal
from domain.cases import Action, refusal
from domain.parts import MAX_PARTS, Part, amounts, parts_refusal, read_amount

HELD = 100_000  # 1 000,00 in suspense

PARTS = [
    # (case, parts, refused because — a fragment of the reason, or None when allowed)
    ("one ПД, the whole", [Part("123", "U1", None)], None),
    ("one ПД, the exact amount", [Part("U1", "U1", HELD)], None),
    ("two ПД summing exactly", [Part("U1", "U1", 40_000), Part("U2", "U2", 60_000)], None),
    ("three ПД", [Part("U1", "U1", 1), Part("U2", "U2", 1), Part("U3", "U3", HELD - 2)], None),
    ("nothing asked", [], "хотя бы один"),
    ("too many parts", [Part(f"U{i}", f"U{i}", 1) for i in range(MAX_PARTS + 1)], "не более"),
    ("a split part without amount", [Part("U1", "U1", HELD), Part("U2", "U2", None)], "не указана сумма"),
    ("a zero part", [Part("U1", "U1", 0), Part("U2", "U2", HELD)], "больше нуля"),
    ("a negative part", [Part("U1", "U1", -1), Part("U2", "U2", HELD + 1)], "больше нуля"),
    ("an unknown target", [Part("U1", "U1", 1), Part("X9", None, HELD - 1)], "нет ПД с УИП или ЛС 'X9'"),
    ("one ПД twice (ЛС and УИП)", [Part("123", "U1", 1), Part("U1", "U1", HELD - 1)], "указан дважды"),
    ("a kopeck short", [Part("U1", "U1", 50_000), Part("U2", "U2", 49_999)], "на 0,01 меньше"),
    ("a kopeck over", [Part("U1", "U1", 50_000), Part("U2", "U2", 50_001)], "на 0,01 больше"),
    ("one ПД, not the whole", [Part("U1", "U1", HELD - 1)], "меньше"),
]


@pytest.mark.parametrize(("case", "parts", "why"), PARTS, ids=[c[0] for c in PARTS])
def test_parts_rules(case: str, parts: list[Part], why: str | None) -> None:
    got = parts_refusal(parts, HELD)
    assert (got is None) if why is None else (got is not None and why in got), (case, got)


AMOUNTS = [
    ("", None, None),
    ("  ", None, None),
    ("1 234,56", 123456, None),
    ("1234.5", 123450, None),
    ("0,01", 1, None),
    ("сто", None, "не распознана"),
    ("1,234", None, "не распознана"),
    ("-5,00", None, "не распознана"),
]


@pytest.mark.parametrize(("text", "kopecks", "why"), AMOUNTS)
def test_a_part_amount_as_typed(text: str, kopecks: int | None, why: str | None) -> None:
    got, reason = read_amount(text, "U1")
    assert got == kopecks and ((reason is None) if why is None else why in str(reason))


@given(st.lists(st.integers(1, 10**9), min_size=1, max_size=MAX_PARTS))
def test_distinct_positive_parts_summing_to_the_money_are_allowed_and_only_those(values: list[int]) -> None:
    held = sum(values)
    parts = [Part(f"U{i}", f"U{i}", v) for i, v in enumerate(values)]
    assert parts_refusal(parts, held) is None and amounts(parts, held) == values
    assert parts_refusal(parts, held + 1) is not None and parts_refusal(parts, held - 1) is not None
    if len(parts) > 1:  # the same ПД named twice is refused, whatever the sums
        assert "дважды" in str(parts_refusal([*parts[:-1], Part("again", "U0", values[-1])], held))


ACCEPT = [
    # (case, role, code, register status, accepted before, refused because)
    ("a senior, quarantined totals", "senior", "REGISTER_TOTAL_MISMATCH", "quarantined", False, None),
    ("an accountant", "accountant", "REGISTER_TOTAL_MISMATCH", "quarantined", False, "старший бухгалтер"),
    ("a viewer", "viewer", "REGISTER_TOTAL_MISMATCH", "quarantined", False, "старший бухгалтер"),
    ("another code", "senior", "TRANSFER_MISSING", "posted", False, "итоги которого не сходятся"),
    ("accepted before", "senior", "REGISTER_TOTAL_MISMATCH", "quarantined", True, "уже принят"),
    ("posted since", "senior", "REGISTER_TOTAL_MISMATCH", "posted", False, "не в карантине"),
    ("no register", "senior", "REGISTER_TOTAL_MISMATCH", None, False, "не в карантине"),
]


@pytest.mark.parametrize(("case", "role", "code", "status", "before", "why"), ACCEPT, ids=[c[0] for c in ACCEPT])
def test_who_may_accept_a_register(case: str, role: str, code: str, status: str | None, before: bool,
                                   why: str | None) -> None:  # fmt: skip
    got = acceptance_refusal(role, code, status, before)
    assert (got is None) if why is None else (got is not None and why in got), (case, got)


def test_only_a_totals_case_may_be_accepted_and_split_only_a_suspense_one() -> None:
    assert refusal("open", Action.ACCEPT_REGISTER, "REGISTER_TOTAL_MISMATCH") is None
    assert refusal("open", Action.ACCEPT_REGISTER, "UNKNOWN_ACCOUNT") is not None
    assert refusal("resolved", Action.ACCEPT_REGISTER, "REGISTER_TOTAL_MISMATCH") is not None
    assert refusal("in_work", Action.SPLIT, "UNKNOWN_ACCOUNT") is None
    assert refusal("open", Action.SPLIT, "UNDERPAYMENT") is not None


def test_the_acceptance_note_names_the_difference() -> None:
    totals = Totals(declared_count=12, declared_amount=1_050_000, lines=11, amount=1_000_000)
    note = acceptance_note(totals, "smirnov", date(2026, 11, 21), "агент подтвердил")
    assert "строк в итогах 12, в файле 11 (разница +1)" in note
    assert "разница 500,00" in note.replace("\xa0", " ") and "smirnov 21.11.2026: агент подтвердил" in note
    assert "совпадают" in Totals(None, None, 3, 300).difference()
