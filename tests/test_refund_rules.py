"""Refund rules, table-driven and with hypothesis: which payments can be refunded and how much, the
payer's details, the split pro rata to the kopeck, the limit and the four eyes, cancellation, the
entry's legs and the configured limit."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.identifiers import bank_account
from domain.ledger import REFUNDS_PAYABLE, SUSPENSE, EntryKind, UnbalancedEntry, natural_balance, refund_postings
from domain.refunds import (
    HOLDING_COLUMNS,
    PaymentState,
    cancel_refusal,
    check_details,
    decision_refusal,
    needs_approval,
    purpose,
    refund_parts,
    request_refusal,
)
from rkc.config_workbench import Workbench, parse_workbench

A, B, C = "supplier:7707083893", "supplier:500100732259", "supplier:7700000016"
BIC = "044525225"
ACCOUNT = bank_account.with_key("40817810000000000001", BIC)


def holdings(*parts: tuple[str, int]) -> pd.DataFrame:
    """Holdings of (account, kopecks), without services."""
    return pd.DataFrame([(a, None, k) for a, k in parts], columns=HOLDING_COLUMNS)


def state(*parts: tuple[str, int], known: bool = True, posted: bool = True, reversed_: bool = False,
          refunded: int = 0, pending: int = 0) -> PaymentState:  # fmt: skip
    return PaymentState(7, known, posted, reversed_, holdings(*parts), refunded, pending)


# (name, the payment's state, amount asked, refused because … (None: allowed))
REQUESTS = [
    ("unknown payment", state(known=False), 100, "не найден"),
    ("never posted", state(posted=False), 100, "не проведён"),
    ("reversed", state(reversed_=True), 100, "сторнирован"),
    ("fully refunded", state(refunded=150_000), 100, "уже возвращён полностью (1 500,00)"),
    ("written off: nothing left", state(), 100, "ни у поставщиков, ни в невыясненных"),
    ("all of it waits for approval", state((SUSPENSE, 5_000), pending=5_000), 1, "ждущие утверждения"),
    ("zero", state((SUSPENSE, 5_000)), 0, "больше нуля"),
    ("more than held", state((A, 900), (B, 600)), 1_501, "больше того, что можно вернуть по платежу 7: 15,00"),
    ("more than held less waiting", state((A, 900), (B, 600), pending=500), 1_001, "ещё 5,00 ждут утверждения"),
    ("a negative part", state((A, 900), (B, -100)), 100, "отрицательной частью"),
    ("the whole suspense money", state((SUSPENSE, 5_000)), 5_000, None),
    ("part of a split payment", state((A, 900), (B, 600), refunded=100), 1, None),
    ("the rest once some waits", state((A, 900), (B, 600), pending=500), 1_000, None),
]


@pytest.mark.parametrize(("payment", "amount", "why"), [r[1:] for r in REQUESTS], ids=[r[0] for r in REQUESTS])
def test_which_requests_are_refused(payment: PaymentState, amount: int, why: str | None) -> None:
    answer = request_refusal(payment, amount)
    assert (answer is None) if why is None else (why in answer.replace("\u00a0", " ")), answer


# (name, holdings, amount, the parts expected in (account, service) order)
SPLITS = [
    ("suspense whole", [(SUSPENSE, 150_000)], 150_000, [150_000]),
    ("suspense part", [(SUSPENSE, 150_000)], 1, [1]),
    ("900/600, half", [(A, 90_000), (B, 60_000)], 75_000, [45_000, 30_000]),
    ("900/600, all", [(A, 90_000), (B, 60_000)], 150_000, [90_000, 60_000]),
    # 1 kopeck of 3 equal parts: the tie goes to the account that sorts first (A's ИНН 7707…
    # sorts after B's 5001…, C's 7700… between): B
    ("one kopeck over three", [(A, 1), (B, 1), (C, 1)], 1, [0, 1, 0]),
    ("two kopecks over three", [(A, 1), (B, 1), (C, 1)], 2, [0, 1, 1]),
    # 100 over 1/1/1: 33.33 each, the leftover kopeck to the first by (account, service)
    ("100 over three", [(A, 1_000), (B, 1_000), (C, 1_000)], 100, [33, 34, 33]),
    # 6 over 7/2/1: 4.2, 1.2, 0.6 → 4, 1, 0 and the leftover kopeck to the largest remainder, C
    ("largest remainder", [(A, 7), (B, 2), (C, 1)], 6, [4, 1, 1]),
    # 5 over 7/2/1: 3.5, 1.0, 0.5 → A and C tie at half a kopeck: C sorts first
    ("tied remainders", [(A, 7), (B, 2), (C, 1)], 5, [3, 1, 1]),
]


@pytest.mark.parametrize(("parts", "amount", "expected"), [s[1:] for s in SPLITS], ids=[s[0] for s in SPLITS])
def test_pro_rata_to_the_kopeck(parts: list[tuple[str, int]], amount: int, expected: list[int]) -> None:
    got = refund_parts(amount, holdings(*parts))
    by_account = dict(zip(got["account"], got["amount"], strict=True))
    assert [by_account.get(a, 0) for a, _ in parts] == expected
    assert int(got["amount"].sum()) == amount and (got["amount"] > 0).all()


def test_services_are_parts_of_their_own() -> None:
    frame = pd.DataFrame([(A, "ХВС", 200), (A, "ГВС", 100), (B, None, 100)], columns=HOLDING_COLUMNS)
    got = refund_parts(200, frame)
    assert list(zip(got["account"], got["service"], got["amount"], strict=True)) == [
        (B, None, 50), (A, "ГВС", 50), (A, "ХВС", 100)]  # fmt: skip


@pytest.mark.parametrize(("amount", "parts"), [(0, [(A, 5)]), (6, [(A, 5)]), (1, [(A, 5), (B, 0)]), (1, [])])
def test_an_impossible_split_is_an_error(amount: int, parts: list[tuple[str, int]]) -> None:
    with pytest.raises(ValueError):
        refund_parts(amount, holdings(*parts))


@given(parts=st.lists(st.integers(1, 10**12), min_size=1, max_size=8), data=st.data())
def test_parts_sum_to_the_refund_and_never_exceed_a_holding(parts: list[int], data: st.DataObject) -> None:
    accounts = [f"supplier:77{i:08d}" for i in range(len(parts))]
    amount = data.draw(st.integers(1, sum(parts)))
    got = refund_parts(amount, holdings(*zip(accounts, parts, strict=True)))
    held = dict(zip(accounts, parts, strict=True))
    assert int(got["amount"].sum()) == amount
    for account, part in zip(got["account"], got["amount"], strict=True):
        assert 0 < part <= held[account]
        # pro rata: within one kopeck of the exact share
        assert abs(part * sum(parts) - amount * held[account]) < sum(parts)


# (name, name, account, БИК, ИНН, refused because …)
DETAILS = [
    ("valid", "Иванов Иван Иванович", ACCOUNT, BIC, "", None),
    ("valid with ИНН and spaces", " Иванов  И.И. ", ACCOUNT[:5] + " " + ACCOUNT[5:], BIC, "500100732259", None),
    ("no name", "  ", ACCOUNT, BIC, "", "Укажите получателя"),
    ("not cp1251", "Иванов ☃", ACCOUNT, BIC, "", "cp1251"),
    ("short БИК", "Иванов", ACCOUNT, "04452522", "", "БИК"),
    ("short account", "Иванов", ACCOUNT[:19], BIC, "", "нужно 20 цифр"),
    ("wrong key", "Иванов", ACCOUNT[:8] + str((int(ACCOUNT[8]) + 1) % 10) + ACCOUNT[9:], BIC, "", "контрольного ключа"),
    ("bad ИНН", "Иванов", ACCOUNT, BIC, "1234567810", "ИНН"),
]


@pytest.mark.parametrize(("name", "account", "bic", "inn", "why"), [d[1:] for d in DETAILS],
                         ids=[d[0] for d in DETAILS])  # fmt: skip
def test_payer_details(name: str, account: str, bic: str, inn: str, why: str | None) -> None:
    details, problem = check_details(name, account, bic, inn)
    if why is None:
        assert problem is None and details is not None
        assert details.account == ACCOUNT and details.bic == BIC and "  " not in details.name
        assert bank_account.is_valid(details.account, details.bic)
    else:
        assert details is None and why in problem


# (amount, limit, needs a senior?): the write-offs' rule
LIMITS = [(1, 100_000, False), (100_000, 100_000, False), (100_001, 100_000, True), (1, 0, True)]


@pytest.mark.parametrize(("amount", "limit", "waits"), LIMITS)
def test_limit(amount: int, limit: int, waits: bool) -> None:
    assert needs_approval(amount, limit) is waits


# (name, role of the decider, who asked, who decides, status, refused because …)
DECISIONS = [
    ("another senior decides", "senior", "petrova", "smirnov", "requested", None),
    ("a senior's own request", "senior", "smirnov", "smirnov", "requested", "свою заявку на возврат"),
    ("an accountant", "accountant", "smirnov", "petrova", "requested", "только старший"),
    ("a viewer", "viewer", "petrova", "audit", "requested", "только старший"),
    ("already approved", "senior", "petrova", "smirnov", "approved", "уже рассмотрена (утверждён"),
    ("already refused", "senior", "petrova", "smirnov", "refused", "уже рассмотрена (отказано)"),
]


@pytest.mark.parametrize(("role", "asked", "decider", "status", "why"), [d[1:] for d in DECISIONS],
                         ids=[d[0] for d in DECISIONS])  # fmt: skip
def test_who_decides(role: str, asked: str, decider: str, status: str, why: str | None) -> None:
    answer = decision_refusal(role, asked, decider, status)
    assert (answer is None) if why is None else (why in answer)


@pytest.mark.parametrize(("status", "why"), [("approved", None), ("prepared", None), ("settled", "списан банком"),
                                             ("cancelled", "уже отменён"), ("requested", "откажите"),
                                             ("refused", "отказано")])  # fmt: skip
def test_what_can_be_cancelled(status: str, why: str | None) -> None:
    answer = cancel_refusal(status)
    assert (answer is None) if why is None else (why in answer)


def test_the_entry_moves_the_parts_to_refunds_payable() -> None:
    legs = refund_postings([(A, 900, "ХВС"), (B, 600, None)])
    assert legs == [(A, 900, "ХВС"), (B, 600, None), (REFUNDS_PAYABLE, -1500, None)]
    assert natural_balance(REFUNDS_PAYABLE, -1500) == 1500  # credit-normal: owed to the payer
    assert EntryKind("refund") is EntryKind.REFUND and EntryKind("refund_settled") is EntryKind.REFUND_SETTLED
    with pytest.raises(UnbalancedEntry):
        refund_postings([(A, 0, None)])


def test_purpose_names_the_payment() -> None:
    assert purpose(" 12 345 ", date(2026, 3, 15)) == ("Возврат ошибочно/излишне уплаченных денежных средств за ЖКУ "
                                                      "по платежу № 12 345 от 15.03.2026, без НДС")  # fmt: skip


@pytest.mark.parametrize(("given", "kopecks"), [(None, 100_000), ("250,00", 25_000), ("0", 0)])
def test_refund_limit_is_configured(given: str | None, kopecks: int) -> None:
    data = {} if given is None else {"refund_limit": given}
    assert parse_workbench(data, "rkc.yaml", ValueError).refund_limit == kopecks
    assert parse_workbench(data, "rkc.yaml", ValueError).write_off_limit == Workbench().write_off_limit


@pytest.mark.parametrize("bad", ["-1", "abc"])
def test_a_bad_refund_limit_names_the_key(bad: str) -> None:
    with pytest.raises(ValueError, match=r"workbench\.refund_limit"):
        parse_workbench({"refund_limit": bad}, "rkc.yaml", ValueError)
