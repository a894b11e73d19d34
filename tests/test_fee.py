"""The center's fee arithmetic (domain/fee.py), table-driven; and the domain's payout rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from domain.fee import FeeTerms, FeeTermsError, month_fee, parse_terms, percent_of
from domain.payouts import amount_due, missing_payouts, purpose, tie_debits
from tests.payoututil import BIC, make_account, make_inn

D = Decimal

# (case, collected per service, terms, month over, expected fee in kopecks)
FEES = [
    ("1 % of 100,00", {None: 10000}, FeeTerms(D("1")), False, 100),
    ("half a kopeck rounds up", {None: 50}, FeeTerms(D("1")), False, 1),
    ("just under half rounds down", {None: 49}, FeeTerms(D("1")), False, 0),
    ("fractional percent exact", {None: 333333}, FeeTerms(D("1.25")), False, 4167),
    ("per service, rounded each", {"ХВС": 150, "ГВС": 150}, FeeTerms(D("1")), False, 4),
    ("a service's own percent", {"ХВС": 10000, "ГВС": 10000}, FeeTerms(D("2"), by_service={"ХВС": D("0.5")}), False,
     250),
    ("capped at the maximum", {None: 10_000_000}, FeeTerms(D("3"), maximum=50000), False, 50000),
    ("minimum not yet: the month runs", {None: 10000}, FeeTerms(D("1"), minimum=5000), False, 100),
    ("minimum once the month is over", {None: 10000}, FeeTerms(D("1"), minimum=5000), True, 5000),
    ("no minimum for a month without money", {}, FeeTerms(D("1"), minimum=5000), True, 0),
    ("reversals beyond collections earn nothing", {"ХВС": -500, "ГВС": 1000}, FeeTerms(D("10")), False, 100),
    ("no fee", {None: 10000}, FeeTerms(D("0")), True, 0),
    ("maximum wins over the percent, minimum over both", {None: 100}, FeeTerms(D("50"), 30, 40), True, 40),
]  # fmt: skip


@pytest.mark.parametrize(("case", "collected", "terms", "closed", "fee"), FEES, ids=[f[0] for f in FEES])
def test_month_fee(case: str, collected: dict, terms: FeeTerms, closed: bool, fee: int) -> None:
    assert month_fee(collected, terms, closed=closed) == fee, case


# (case, columns as the suppliers directory writes them, terms or the error's fragment)
TERMS = [
    ("empty: no fee", ("", "", "", ""), FeeTerms(D(0))),
    ("comma decimal and rubles", ("1,5", "100", "2 000,00", ""), FeeTerms(D("1.5"), 10000, 200000)),
    ("services", ("2", "", "", "ХВС=1|Отопление = 0,5"),
     FeeTerms(D(2), by_service={"ХВС": D(1), "Отопление": D("0.5")})),
    ("not a number", ("abc", "", "", ""), "is not a number"),
    ("over 100", ("101", "", "", ""), "from 0 to 100"),
    ("max below min", ("1", "10", "5", ""), "do not make a range"),
    ("bad service part", ("1", "", "", "ХВС"), "is not service=percent"),
    ("bad money", ("1", "10,001", "", ""), "fee minimum/maximum"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "columns", "want"), TERMS, ids=[t[0] for t in TERMS])
def test_parse_terms(case: str, columns: tuple, want: FeeTerms | str) -> None:
    if isinstance(want, str):
        with pytest.raises(FeeTermsError, match=want):
            parse_terms(*columns)
    else:
        assert parse_terms(*columns) == want, case


def test_percent_of_is_exact_for_huge_amounts() -> None:
    assert percent_of(10**15 + 50, D("1")) == 10**13 + 1


def _supplier(serial: int, balance: int, hold: str | None = None, account: str | None = None) -> dict:
    account = make_account(serial) if account is None else account
    return {"inn": make_inn(serial), "name": f"П{serial}", "kpp": "", "bank_account": account, "bic": BIC,
            "contract_no": "", "balance": balance, "hold_reason": hold}  # fmt: skip


def test_amount_due_pays_the_balance_and_says_why_not() -> None:
    due = amount_due(pd.DataFrame([_supplier(3, 500), _supplier(1, 1000), _supplier(2, 700, hold="спор"),
                                   _supplier(4, 0), _supplier(5, -300), _supplier(6, 100, account="")]))  # fmt: skip
    assert due.pay[["inn", "amount"]].values.tolist() == [[make_inn(1), 1000], [make_inn(3), 500]]
    reasons = dict(zip(due.skipped["inn"], due.skipped["reason"], strict=True))
    assert reasons == {make_inn(2): "приостановлено бухгалтером: спор", make_inn(5): "нет суммы к перечислению: "
                       "сальдо -3,00", make_inn(6): "нет банковских реквизитов"}  # fmt: skip


def test_tie_debits_and_missing() -> None:
    day = date(2026, 3, 16)
    payouts = pd.DataFrame({"payout_id": [1, 2, 3], "number": ["1", "2", "3"], "pay_date": [day] * 3,
                            "amount": [100, 200, 300], "bank_account": ["A", "B", "C"]})  # fmt: skip
    debits = pd.DataFrame({"debit_id": [10, 11, 12, 13], "number": ["1", "2", "9", "3"],
                           "date": [day, day, day, date(2026, 3, 17)], "amount": [100, 200, 5, 300],
                           "recipient_account": ["A", "X", "Q", "C"]})  # fmt: skip
    tied = tie_debits(payouts, debits)
    assert tied["outcome"].tolist() == ["settled", "PAYOUT_MISMATCH", "UNKNOWN_OUTGOING", "UNKNOWN_OUTGOING"]
    assert tied["payout_id"].tolist()[:2] == [1, 2]
    late = missing_payouts(payouts, date(2026, 3, 19), 3)
    assert late["payout_id"].tolist() == [1, 2, 3] and missing_payouts(payouts, date(2026, 3, 18), 3).empty
    assert purpose(day, "") == ("Перечисление денежных средств, принятых от населения за ЖКУ, за 16.03.2026 "
                                "по договору № б/н, без НДС")  # fmt: skip


def test_the_modules_examples_hold() -> None:
    import doctest

    import domain.fee

    assert doctest.testmod(domain.fee).failed == 0


def test_a_name_cp1251_cannot_write_is_not_paid() -> None:
    row = _supplier(1, 500) | {"name": "ООО «Ромашка» 🌼"}
    due = amount_due(pd.DataFrame([row]))
    assert due.pay.empty and "которого нет в cp1251" in due.skipped["reason"][0]
