"""The check of the legs exactly as posting writes them (entry ids, amounts), before they are sent."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ledger import UnbalancedEntry, require_balanced_legs

CASES = [
    # (entry ids, amounts, entries expected, error or None)
    ([1, 1, 2, 2, 2], [100, -100, 50, -30, -20], 2, None),
    ([], [], 0, None),
    ([1, 1, 2, 2], [100, -100, 50, -49], 2, "1 entries do not balance .*2: 1 in 2 legs"),
    ([1, 1, 2], [100, -100, 0], 2, "1 entries do not balance .*in 1 legs"),  # one leg, even of 0
    ([1, 1], [100, -100], 2, "1 of 2 entries have no postings"),
    ([], [], 3, "3 entries have no postings"),
]


@pytest.mark.parametrize(("ids", "amounts", "entries", "error"), CASES)
def test_legs_are_checked_entry_by_entry(ids: list[int], amounts: list[int], entries: int, error: str | None) -> None:
    call = lambda: require_balanced_legs(np.array(ids, dtype=np.int64), np.array(amounts, dtype=np.int64), entries)  # noqa: E731
    if error is None:
        call()
        return
    with pytest.raises(UnbalancedEntry, match=error):
        call()


def test_legs_out_of_order_are_a_bug_not_a_data_problem() -> None:
    with pytest.raises(ValueError, match="ordered by entry id"):
        require_balanced_legs(np.array([2, 2, 1, 1]), np.array([5, -5, 7, -7]), 2)


@given(st.lists(st.lists(st.integers(-10**12, 10**12), min_size=1, max_size=5), min_size=1, max_size=40),
       st.data())  # fmt: skip
def test_balanced_entries_pass_and_any_changed_kopeck_is_caught(entries: list[list[int]], data: st.DataObject) -> None:
    """Each entry made to balance (a closing leg), then one kopeck moved on one leg."""
    ids, amounts = [], []
    for number, legs in enumerate(entries, start=1):
        for amount in [*legs, -sum(legs)]:
            ids.append(number)
            amounts.append(amount)
    ids_array, amounts_array = np.array(ids, dtype=np.int64), np.array(amounts, dtype=np.int64)
    require_balanced_legs(ids_array, amounts_array, len(entries))
    where = data.draw(st.integers(0, len(amounts) - 1))
    amounts_array[where] += data.draw(st.sampled_from([-1, 1]))
    with pytest.raises(UnbalancedEntry):
        require_balanced_legs(ids_array, amounts_array, len(entries))


PAYMENT_CASES = [
    # (payment ids of the postings, amounts, payments expected or None, error or None)
    ([1, 1, 2, 2, 2], [100, -100, 50, -30, -20], [1, 2], None),
    ([1, 1, 2, 2, 3], [5, -5, 3, -2, 0], None, r"1 entries do not balance \(payment id: sum\) 2: 1$"),
    ([1, 1], [1, -1], [1, 4, 3, 4], r"2 entries have no postings, e.g. \[3, 4\]"),
    ([], [], [7], r"1 entries have no postings, e.g. \[7\]"),
]


@pytest.mark.parametrize(("pids", "amounts", "expected", "error"), PAYMENT_CASES)
@pytest.mark.parametrize("shuffled", [False, True])
def test_payments_postings_are_checked_payment_by_payment(
    pids: list[int], amounts: list[int], expected: list[int] | None, error: str | None, shuffled: bool
) -> None:
    """The same verdict and message whether the postings come grouped by payment (numpy runs) or
    not (the group-by)."""
    import pandas as pd

    from domain.ledger import require_balanced

    postings = pd.DataFrame({"payment_id": np.array(pids, dtype=np.int64), "amount": np.array(amounts, dtype=np.int64)})
    if shuffled:
        postings = postings.iloc[::-1]
    call = lambda: require_balanced(postings, None if expected is None else pd.Series(expected))  # noqa: E731
    if error is None:
        call()
        return
    with pytest.raises(UnbalancedEntry, match=error):
        call()
