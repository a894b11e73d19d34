"""domain.grouping: lines of one payment (one per service code) merged by their key, table-driven."""

from __future__ import annotations

import pandas as pd
import pytest

from domain.grouping import merge_lines
from domain.records import conform_payments


def lines(*rows: tuple) -> pd.DataFrame:
    """Payment lines from (line_no, operation_id, account, date, service, kopecks, commission)."""
    return conform_payments(
        pd.DataFrame(
            {
                "line_no": [r[0] for r in rows],
                "raw": [f"line {r[0]}" for r in rows],
                "operation_id": [r[1] for r in rows],
                "account": [r[2] for r in rows],
                "paid_date": [r[3] for r in rows],
                "services": pd.Series([((r[4], r[5]),) for r in rows], dtype=object),
                "amount": [r[5] for r in rows],
                "commission": pd.array([r[6] for r in rows], dtype="Int64"),
            }
        )
    )


D = "2026-03-15"
CASES = {
    "one line stays one payment": (
        [(1, "A", "12", D, "ХВС", 300, 3)],
        [("A", 300, 3, (("ХВС", 300),), "line 1")], 0, [],
    ),
    "three services, one payment, file order kept": (
        [(1, "A", "12", D, "ХВС", 300, 3), (2, "B", "13", D, "ЭЛ", 100, 1), (3, "A", "12", D, "ГВС", 700, 7),
         (4, "A", "12", D, "ОТП", 50, 0)],
        [("A", 1050, 10, (("ХВС", 300), ("ГВС", 700), ("ОТП", 50)), "line 1\nline 3\nline 4"),
         ("B", 100, 1, (("ЭЛ", 100),), "line 2")], 2, [],
    ),
    "a missing commission makes the sum unknown": (
        [(1, "A", "12", D, "ХВС", 300, None), (2, "A", "12", D, "ГВС", 700, 7)],
        [("A", 1000, None, (("ХВС", 300), ("ГВС", 700)), "line 1\nline 2")], 1, [],
    ),
    "lines of one key with different accounts are not one payment": (
        [(1, "A", "12", D, "ХВС", 300, 3), (2, "A", "99", D, "ГВС", 700, 7), (3, "B", "13", D, "ЭЛ", 1, 0)],
        [("B", 1, 0, (("ЭЛ", 1),), "line 3")], 0, [1, 2],
    ),
    "lines of one key with different dates are not one payment": (
        [(1, "A", "12", D, "ХВС", 300, 3), (2, "A", "12", "2026-03-16", "ГВС", 700, 7)],
        [], 0, [1, 2],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_merge_lines(case: str) -> None:
    given, expected, continuations, conflicts = CASES[case]
    got = merge_lines(lines(*given))
    rows = [
        (r.operation_id, r.amount, None if pd.isna(r.commission) else r.commission, r.services, r.raw)
        for r in got.payments.itertuples()
    ]
    assert rows == expected
    assert got.continuations == continuations
    assert list(got.conflicts["line_no"]) == conflicts
    assert len(got.payments) + got.continuations + len(got.conflicts) == len(given)
    assert list(got.payments.columns) == list(lines(*given).columns)


def test_empty() -> None:
    got = merge_lines(lines())
    assert got.payments.empty and got.continuations == 0 and got.conflicts.empty
