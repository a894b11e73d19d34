"""Occurrence numbering, DUPLICATE_PAYMENT and DUPLICATE_CROSS_CHANNEL."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.duplicates import cross_channel_duplicates, mark_duplicates, number_occurrences


def test_occurrences_count_repeats_per_file_in_line_order() -> None:
    p = pd.DataFrame(
        {
            "register_id": [1, 1, 1, 2, 1],
            "channel": ["sber"] * 5,
            "operation_id": ["7", "8", "7", "7", "7"],
            "line_no": [3, 1, 1, 1, 2],
        },
        index=[10, 11, 12, 13, 14],
    )
    occ = number_occurrences(p)
    assert occ.to_dict() == {10: 3, 11: 1, 12: 1, 13: 1, 14: 2}


def _pay(rows: list[tuple]) -> pd.DataFrame:
    """(payment_id, channel, operation_id, occurrence, register_id, line_no)."""
    return pd.DataFrame(
        rows, columns=["payment_id", "channel", "operation_id", "occurrence", "register_id", "line_no"]
    )


# (case, payments, posted keys, flagged payment ids)
DUP_CASES = [
    ("two identical lines in one file kept", [(1, "sber", "7", 1, 1, 1), (2, "sber", "7", 2, 1, 2)], [], []),
    ("posted before", [(1, "sber", "7", 1, 1, 1)], [("sber", "7", 1)], [1]),
    (
        "second occurrence not posted yet",
        [(1, "sber", "7", 1, 1, 1), (2, "sber", "7", 2, 1, 2)],
        [("sber", "7", 1)],
        [1],
    ),
    ("other channel same id is not a duplicate", [(1, "gis", "7", 1, 1, 1)], [("sber", "7", 1)], []),
    ("same key in two files of the batch", [(1, "sber", "7", 1, 2, 1), (2, "sber", "7", 1, 1, 5)], [], [1]),
]


@pytest.mark.parametrize(("case", "rows", "posted", "flagged"), DUP_CASES, ids=[c[0] for c in DUP_CASES])
def test_duplicate_payment(case: str, rows: list, posted: list, flagged: list[int]) -> None:
    keys = pd.DataFrame(posted, columns=["channel", "operation_id", "occurrence"])
    flags = mark_duplicates(_pay(rows), keys)
    assert flags["payment_id"].tolist() == flagged
    assert set(flags["code"]) <= {"DUPLICATE_PAYMENT"}


def _cc(rows: list[tuple]) -> pd.DataFrame:
    """(payment_id, channel, uip, account, amount, paid_date, operation_id)."""
    f = pd.DataFrame(
        rows, columns=["payment_id", "channel", "uip", "account", "amount", "paid_date", "operation_id"]
    )
    return f.assign(paid_time=None)


D = "2026-03-15"
CC_CASES = [
    (
        "bank and gis, same ПД",
        [(1, "sber", "U1", "1", 500, D, "a"), (2, "gis", "U1", None, 500, D, "b")],
        [2],
    ),
    ("priority decides", [(1, "gis", "U1", "1", 500, D, "a"), (2, "sber", "U1", "1", 500, D, "b")], [1]),
    (
        "by account without ПД",
        [(1, "sber", None, "77", 500, D, "a"), (2, "gis", None, "77", 500, D, "b")],
        [2],
    ),
    ("different amount", [(1, "sber", "U1", "1", 500, D, "a"), (2, "gis", "U1", "1", 501, D, "b")], []),
    (
        "different date",
        [(1, "sber", "U1", "1", 500, D, "a"), (2, "gis", "U1", "1", 500, "2026-03-16", "b")],
        [],
    ),
    (
        "same channel twice is legitimate",
        [(1, "sber", "U1", "1", 500, D, "a"), (2, "sber", "U1", "1", 500, D, "b")],
        [],
    ),
    (
        "pairs in order",
        [
            (1, "sber", "U1", "1", 500, D, "a"),
            (2, "sber", "U1", "1", 500, D, "b"),
            (3, "gis", "U1", None, 500, D, "c"),
        ],
        [3],
    ),
    (
        "unknown channels by name",
        [(1, "zeta", "U1", "1", 500, D, "a"), (2, "alpha", "U1", "1", 500, D, "b")],
        [1],
    ),
    ("nothing to compare", [(1, "sber", None, None, 500, D, "a"), (2, "gis", None, None, 500, D, "b")], []),
]


@pytest.mark.parametrize(("case", "rows", "flagged"), CC_CASES, ids=[c[0] for c in CC_CASES])
def test_cross_channel(case: str, rows: list, flagged: list[int]) -> None:
    flags = cross_channel_duplicates(_cc(rows), priority=("sber", "gis"))
    assert flags["payment_id"].tolist() == flagged
    assert set(flags["code"]) <= {"DUPLICATE_CROSS_CHANNEL"}


def test_cross_channel_against_previous_nights() -> None:
    prev = _cc([(0, "gis", "U1", None, 500, D, "old")]).drop(columns="payment_id")
    cur = _cc([(1, "sber", "U1", "1", 500, D, "a"), (2, "sber", "U2", "1", 500, D, "b")])
    flags = cross_channel_duplicates(cur, previous=prev, priority=("sber", "gis"))
    assert flags["payment_id"].tolist() == [1]
    assert "gis" in flags["detail"][0] and "old" in flags["detail"][0]


rows_st = st.lists(
    st.tuples(
        st.sampled_from(["sber", "gis", "portal"]),
        st.sampled_from(["U1", "U2", None]),
        st.sampled_from(["1", "2"]),
        st.sampled_from([100, 200]),
        st.sampled_from([D, "2026-03-16"]),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(rows=rows_st, seed=st.integers(0, 10**6))
def test_cross_channel_order_independent(rows: list, seed: int) -> None:
    # Operation ids are unique here, as they are within a channel after DUPLICATE_PAYMENT.
    frame = _cc([(i, ch, u, a, amt, d, f"op{i}") for i, (ch, u, a, amt, d) in enumerate(rows)])
    base = cross_channel_duplicates(frame, priority=("gis",))
    again = cross_channel_duplicates(frame.sample(frac=1, random_state=seed), priority=("gis",))
    pd.testing.assert_frame_equal(again, base)
    # what is kept covers every channel seen for each (ПД/ЛС, amount, date) group
    kept = frame[~frame["payment_id"].isin(base["payment_id"])]
    key = frame["uip"].fillna("ЛС" + frame["account"])
    kept_key = kept["uip"].fillna("ЛС" + kept["account"])
    for k in set(zip(key, frame["amount"], frame["paid_date"], strict=True)):
        assert k in set(zip(kept_key, kept["amount"], kept["paid_date"], strict=True))
