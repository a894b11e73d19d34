"""DATE_OUT_OF_RANGE: payments dated after the run date beyond the tolerance, or older than the limit."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from domain.dates import dates_out_of_range

RUN = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("paid", "tolerance", "max_age", "held"),
    [
        ("2026-11-20", 1, 400, False),  # the run date itself
        ("2026-11-21", 1, 400, False),  # within the tolerance (a register written after midnight)
        ("2026-11-22", 1, 400, True),  # a day beyond it
        ("2026-11-21", 0, 400, True),  # no tolerance: tomorrow is the future
        ("2027-11-19", 1, 400, True),  # a register dated a year ahead
        ("2025-10-16", 1, 400, False),  # exactly 400 days old
        ("2025-10-15", 1, 400, True),  # 401 days old
        ("2025-10-15", 1, 401, False),  # within a longer limit
        ("not a date", 1, 400, False),  # unreadable dates are the parsers' to reject, not judged here
    ],
)
def test_dates_out_of_range(paid: str, tolerance: int, max_age: int, held: bool) -> None:
    flags = dates_out_of_range(pd.DataFrame({"payment_id": [7], "paid_date": [paid]}), RUN, tolerance, max_age)
    assert flags["payment_id"].tolist() == ([7] if held else [])
    assert set(flags["code"]) <= {"DATE_OUT_OF_RANGE"}


def test_the_detail_says_which_way_and_by_how_much() -> None:
    payments = pd.DataFrame({"payment_id": [3, 1, 2], "paid_date": ["2027-11-19", "2026-11-20", "2024-01-01"]})
    flags = dates_out_of_range(payments, RUN, 1, 400)
    assert flags["payment_id"].tolist() == [2, 3]  # sorted by payment, not by input order
    old, future = flags["detail"].tolist()
    assert old.startswith("дата платежа 01.01.2024 раньше даты прогона 20.11.2026 более чем на 400 дн.")
    assert future.startswith("дата платежа 19.11.2027 позже даты прогона 20.11.2026 более чем на 1 дн.")


def test_no_payments_no_flags() -> None:
    flags = dates_out_of_range(pd.DataFrame({"payment_id": [], "paid_date": []}), RUN, 1, 400)
    assert flags.empty and list(flags.columns) == ["payment_id", "code", "detail"]
