"""Posting payments: the worked example of docs/LEDGER.md, idempotency, conflicts, rollback."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sql.ledger_queries import balances, check_ledger
from sql.posting import PostingConflict, post_payments
from sql.uow import UnitOfWork
from tests.dbutil import new_register, payment_frame, split_frame

A, B = "7707083893", "500100732259"


def _post(engine: sa.Engine, payments, splits, name: str = "r.txt"):
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn, name)
        result = post_payments(uow.conn, rid, payments, splits)
        uow.commit()
    return result


def test_worked_example_split_900_600_with_commission(engine: sa.Engine) -> None:
    payments = payment_frame([{"operation_id": "123456", "amount": 150000, "commission": 1500}])
    result = _post(engine, payments, split_frame([(0, A, "ЖКУ", 90000), (0, B, "ТКО", 60000)]))
    assert (result.payments_new, result.entries, result.postings) == (1, 1, 4)
    with engine.connect() as conn:
        assert balances(conn) == {
            "agent:sber": 148500,
            "commission:sber": 1500,
            f"supplier:{A}": 90000,
            f"supplier:{B}": 60000,
        }
        assert check_ledger(conn) == []


def test_unsplit_payment_goes_to_suspense(engine: sa.Engine) -> None:
    _post(engine, payment_frame([{"operation_id": "1", "amount": 10000}]), split_frame([]))
    with engine.connect() as conn:
        assert balances(conn) == {"agent:sber": 10000, "suspense": 10000}


def test_reposting_the_same_payments_inserts_nothing(engine: sa.Engine) -> None:
    payments = payment_frame([{"operation_id": "1", "amount": 10000}, {"operation_id": "2", "amount": 500}])
    splits = split_frame([(0, A, "ЖКУ", 10000)])
    _post(engine, payments, splits, "a.txt")
    again = _post(engine, payments, splits, "b.txt")
    assert (again.payments_new, again.payments_known, again.entries, again.postings) == (0, 2, 0, 0)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ledger_entry")).scalar() == 2
        assert balances(conn)["agent:sber"] == 10500


def test_same_key_with_other_amount_is_an_error_and_writes_nothing(engine: sa.Engine) -> None:
    _post(engine, payment_frame([{"operation_id": "1", "amount": 10000}]), split_frame([]), "a.txt")
    changed = payment_frame([{"operation_id": "1", "amount": 9999}, {"operation_id": "2", "amount": 1}])
    with pytest.raises(PostingConflict, match="sber/1#1: posted 10000"):
        _post(engine, changed, split_frame([]), "b.txt")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM payment")).scalar() == 1
        assert conn.execute(sa.text("SELECT COUNT(*) FROM register")).scalar() == 1


def test_identical_payments_with_distinct_occurrence_are_both_posted(engine: sa.Engine) -> None:
    payments = payment_frame(
        [
            {"operation_id": "7", "amount": 100, "occurrence": 1},
            {"operation_id": "7", "amount": 100, "occurrence": 2},
        ]
    )
    result = _post(engine, payments, split_frame([]))
    assert result.payments_new == 2


def test_failure_inside_a_register_rolls_the_whole_register_back(engine: sa.Engine) -> None:
    payments = payment_frame([{"operation_id": "1", "amount": 10000}])
    with pytest.raises(RuntimeError, match="disk full"), UnitOfWork(engine) as uow:
        rid = new_register(uow.conn)
        post_payments(uow.conn, rid, payments, split_frame([]))
        raise RuntimeError("disk full")
    with engine.connect() as conn:
        for table in ("register", "payment", "ledger_entry", "ledger_posting", "ledger_balance"):
            assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0, table


LEGS = [  # (postings' payment_id in groups, payments posted now, their entry ids, expected (payment_id, entry_id, leg))
    ([0, 0, 0, 1, 1], [0, 1], [10, 11], [(0, 10, 1), (0, 10, 2), (0, 10, 3), (1, 11, 1), (1, 11, 2)]),
    ([0, 0, 1, 1, 2, 2], [2, 0], [20, 21], [(0, 21, 1), (0, 21, 2), (2, 20, 1), (2, 20, 2)]),  # 1 known
    ([5, 5], [], [], []),  # everything known
    ([], [3], [7], []),
    ([10**9 + 2, 10**9, 10**9], [10**9, 10**9 + 2], [1, 2], [(10**9 + 2, 2, 1), (10**9, 1, 1), (10**9, 1, 2)]),
]


@pytest.mark.parametrize(("groups", "payment_id", "entries", "expected"), LEGS)
def test_entry_legs_number_each_entrys_legs(groups, payment_id, entries, expected) -> None:
    import numpy as np
    import pandas as pd

    from sql.posting import entry_legs

    postings = pd.DataFrame({"payment_id": np.array(groups, dtype=np.int64), "amount": range(len(groups))})
    legs = entry_legs(postings, np.array(payment_id, dtype=np.int64), np.array(entries, dtype=np.int64))
    assert list(zip(legs["payment_id"], legs["entry_id"], legs["leg"], strict=True)) == expected


def test_legs_that_reach_the_database_changed_are_refused_and_nothing_is_written(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The legs are checked entry by entry before they are sent; the database then has to hold
    exactly what was sent. A kopeck changed on the way is caught there."""
    import sql.posting
    from domain.ledger import UnbalancedEntry

    real = sql.posting.bulk_insert

    def changing(conn, table, frame, columns, order=None):
        if table == "ledger_posting":
            frame = frame.assign(amount=frame["amount"] + (frame.index == 0))
        return real(conn, table, frame, columns, order)

    monkeypatch.setattr(sql.posting, "bulk_insert", changing)
    payments = payment_frame([{"operation_id": "1", "amount": 10000}, {"operation_id": "2", "amount": 500}])
    with pytest.raises(UnbalancedEntry, match="holds 4 legs summing to 1 of the new entries; 4 sent"):
        _post(engine, payments, split_frame([(0, A, "ЖКУ", 10000)]))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ledger_posting")).scalar() == 0
        assert balances(conn) == {}


FAR_LEGS = [  # ids far apart (a caller's own numbering): found by a binary search, not a table
    ([10**12, 10**12, 5], [10**12, 5], [1, 2], [(10**12, 1, 1), (10**12, 1, 2), (5, 2, 1)]),
    ([7, 7, 10**12], [10**12], [3], [(10**12, 3, 1)]),  # 7 known
    ([7, 10**12], [], [], []),
]


@pytest.mark.parametrize(("groups", "payment_id", "entries", "expected"), FAR_LEGS)
def test_entry_legs_find_entries_of_ids_far_apart(groups, payment_id, entries, expected) -> None:
    import numpy as np
    import pandas as pd

    from sql.posting import entry_legs

    postings = pd.DataFrame({"payment_id": np.array(groups, dtype=np.int64), "amount": range(len(groups))})
    legs = entry_legs(postings, np.array(payment_id, dtype=np.int64), np.array(entries, dtype=np.int64))
    assert list(zip(legs["payment_id"], legs["entry_id"], legs["leg"], strict=True)) == expected


def test_reserved_payment_ids_are_stored_as_given(engine: sa.Engine) -> None:
    """The decision step's ids (reserved in key order) are the stored ids, and the entries name them."""
    from sql.payment_ids import payment_ids_taken, reserve_payment_ids

    with engine.connect() as conn:
        block = reserve_payment_ids(conn, 2)
    first, second = block
    payments = payment_frame([{"operation_id": "1", "amount": 10000}, {"operation_id": "2", "amount": 500}])
    payments["payment_id"] = [first, second]
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn)
        result = post_payments(uow.conn, rid, payments, split_frame([(first, A, "ЖКУ", 10000)]), reserved=True)
        uow.commit()
    assert sorted(result.ids["id"]) == sorted(result.ids["payment_id"]) == [first, second]
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT operation_id, id FROM payment")).all())
        named = dict(conn.execute(sa.text("SELECT payment_id, source_key FROM ledger_entry")).all())
        assert payment_ids_taken(conn, first, second) == 2 and payment_ids_taken(conn, second + 1, second + 9) == 0
        assert balances(conn)[f"supplier:{A}"] == 10000
        assert check_ledger(conn) == []
    assert stored == {"1": first, "2": second}
    assert named == {first: "payment:sber:1:1", second: "payment:sber:2:1"}
    with engine.connect() as conn:  # the next block starts past them
        assert reserve_payment_ids(conn, 1)[0] > second
