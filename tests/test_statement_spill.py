"""Movements spilled unsorted to local files a group at a time (PostgreSQL): the groups are planned
from the postings counted, hold whole suppliers and, joined, are the month sorted as
``supplier_movements`` returns it."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

import sql.statement_stream as stream
from rkc.statements import _suppliers
from sql.reporting import supplier_movements
from sql.statement_spill import group_uppers, spilled_groups
from tests.test_reports_statements import PERIOD, B, _ledger


@pytest.mark.parametrize(
    ("postings", "rows", "expected"),
    [
        ([10, 10, 10, 10], 20, ["b"]),  # a, b | c, d
        ([10, 10, 10, 10], 10, ["a", "b", "c"]),
        ([10, 10, 10, 10], 15, ["b"]),  # the last group may hold fewer
        ([10, 10, 10, 10], 100, []),
        ([0, 0, 0, 0], 1, []),
        ([1, 0, 0, 1], 1, ["a"]),  # suppliers without postings ride with the group before them
    ],
)
def test_groups_are_planned_from_the_postings(postings: list[int], rows: int, expected: list[str]) -> None:
    suppliers = pd.DataFrame({"inn": list("abcd"), "postings": postings})
    assert group_uppers(suppliers, rows) == expected


@pytest.mark.postgres
@pytest.mark.parametrize("rows", [1, 2, 100])
def test_spilled_groups_are_the_month_sorted(pg_empty_url: str, rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from sql.engine import make_engine

    monkeypatch.setattr(stream, "_PARSE_BYTES", 1)  # a batch a row: every group spans batches
    engine = make_engine(pg_empty_url)
    try:
        _ledger(engine)
        with engine.connect() as conn:
            whole = supplier_movements(conn, PERIOD)
            uppers = group_uppers(_suppliers(conn, PERIOD), rows)
            groups = list(spilled_groups(conn, PERIOD, None, None, uppers))
            above = pd.concat(list(spilled_groups(conn, PERIOD, B, None, uppers)), ignore_index=True)
    finally:
        engine.dispose()
    assert len(groups) >= 2 if rows == 1 else len(groups) >= 1
    seen: set[str] = set()
    for group in groups:
        inns = set(group["inn"].astype(str))
        assert not inns & seen  # no supplier in two groups
        seen |= inns
    pd.testing.assert_frame_equal(pd.concat(groups, ignore_index=True), whole)
    expected = whole[whole["inn"].astype(str) > B].reset_index(drop=True)
    pd.testing.assert_frame_equal(above, expected)


@pytest.mark.postgres
def test_a_month_naming_an_older_payment(pg_empty_url: str) -> None:
    """A March reversal of a February payment: the month's payments span back to it, and the
    reversal's leg shows the February payment's own columns."""
    from sqlalchemy import text

    from sql.engine import make_engine
    from sql.entries import reverse_entry
    from sql.statement_payments import payment_span
    from sql.statement_spill import month_entries

    engine = make_engine(pg_empty_url)
    try:
        _ledger(engine)
        with engine.begin() as conn:
            february = conn.execute(text("SELECT id, payment_id FROM ledger_entry WHERE kind = 'payment'"
                                         " ORDER BY value_date, id LIMIT 1")).one()  # fmt: skip
            reverse_entry(conn, february.id, on=date(2026, 3, 26), reason="возврат февральского платежа")
        with engine.connect() as conn:
            entries = month_entries(conn, PERIOD)
            march = "value_date >= '2026-03-01' AND value_date < '2026-04-01'"
            query = f"SELECT min(id), max(id), min(payment_id), max(payment_id) FROM ledger_entry WHERE {march}"
            named = conn.execute(text(query)).one()
            span = payment_span(conn, PERIOD, entries) if entries else None
            whole = supplier_movements(conn, PERIOD)
            spilled = pd.concat(list(spilled_groups(conn, PERIOD, None, None, [])), ignore_index=True)
            empty = list(spilled_groups(conn, "2031-01", None, None, []))
    finally:
        engine.dispose()
    assert entries == (named[0], named[1])
    assert span == (february.payment_id, named[3])
    assert named[2] == february.payment_id  # the month names a payment of February
    pd.testing.assert_frame_equal(spilled, whole)
    reversal = whole[whole["description"].str.contains("февральского")]
    assert not reversal.empty and (reversal["payment_id"] == february.payment_id).all()
    assert (reversal["operation_id"] == "F1").all()  # the payment's own columns, joined from February
    assert empty == []
