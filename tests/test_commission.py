"""Commission tariffs: half-up rounding, minimum and maximum, COMMISSION_MISMATCH."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.commission import Tariff, check_commission, expected_commission

# (case, tariff, amount, expected commission)
CASES = [
    ("1% exact", Tariff(Decimal("1")), 150000, 1500),
    ("half kopeck rounds up", Tariff(Decimal("1")), 50, 1),
    ("below half rounds down", Tariff(Decimal("1")), 49, 0),
    ("fractional percent", Tariff(Decimal("1.2")), 12345, 148),  # 148.14
    ("fractional half up", Tariff(Decimal("0.5")), 100, 1),  # 0.5 -> 1
    ("minimum", Tariff(Decimal("1"), minimum=3000), 150000, 3000),
    ("maximum", Tariff(Decimal("2"), maximum=10000), 10**7, 10000),
    ("zero percent", Tariff(Decimal("0")), 10**7, 0),
    ("zero amount with minimum", Tariff(Decimal("1"), minimum=100), 0, 100),
    ("huge amount", Tariff(Decimal("1.23456789")), 9 * 10**17, 11111111010000000),
]


@pytest.mark.parametrize(("case", "tariff", "amount", "expected"), CASES, ids=[c[0] for c in CASES])
def test_expected(case: str, tariff: Tariff, amount: int, expected: int) -> None:
    assert expected_commission(np.array([amount], dtype=np.int64), tariff).tolist() == [expected]


@given(st.integers(0, 10**12), st.decimals(0, 10, places=4))
def test_matches_decimal_half_up(amount: int, percent: Decimal) -> None:
    from decimal import ROUND_HALF_UP

    want = int((Decimal(amount) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert expected_commission(np.array([amount]), Tariff(percent)).tolist() == [want]


def test_bad_tariffs() -> None:
    with pytest.raises(ValueError, match="Decimal"):
        Tariff(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="below"):
        Tariff(Decimal("1"), minimum=10, maximum=5)


def test_mismatch_flags() -> None:
    payments = pd.DataFrame(
        {
            "payment_id": [1, 2, 3, 4, 5],
            "channel": ["sber", "sber", "portal", "sber", "other"],
            "amount": [150000, 150000, 100000, 1000, 1000],
            "commission": pd.array([1500, 1400, None, 1, 99], dtype="Int64"),
        }
    )
    tariffs = {"sber": Tariff(Decimal("1"), minimum=10), "portal": Tariff(Decimal("2"))}
    flags = check_commission(payments, tariffs)
    assert flags["payment_id"].tolist() == [2, 4]
    assert set(flags["code"]) == {"COMMISSION_MISMATCH"}
    assert flags["detail"].tolist() == ["комиссия 14,00, по тарифу 15,00", "комиссия 0,01, по тарифу 0,10"]
