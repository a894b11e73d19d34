"""Corrections are new entries: transfers, reversals, suspense → supplier reclassification."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from sql.entries import LedgerError, post_transfer, reclassify, reverse_entry
from sql.ledger_queries import balances, check_ledger
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import new_register, payment_frame, split_frame

A, B = "7707083893", "500100732259"
DAY = date(2026, 3, 16)


def _suspense_payment(engine: sa.Engine) -> int:
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn)
        post_payments(uow.conn, rid, payment_frame([{"operation_id": "9", "amount": 30000}]), split_frame([]))
        uow.commit()
        return int(uow.conn.execute(sa.text("SELECT id FROM payment")).scalar_one())


def test_transfer_received_moves_agent_debt_to_bank_once(engine: sa.Engine) -> None:
    with UnitOfWork(engine) as uow:
        args = dict(bank="40702810000000000001", channel="sber", amount=148500, number="517", on=DAY)
        first = post_transfer(uow.conn, payer_account="30101810400000000225", **args)
        second = post_transfer(uow.conn, payer_account="30101810400000000225", **args)
        uow.commit()
    assert first is not None and second is None
    with engine.connect() as conn:
        assert balances(conn) == {"agent:sber": -148500, "bank:40702810000000000001": 148500}


def test_two_transfers_of_one_number_and_day_with_other_sums_are_both_received(engine: sa.Engine) -> None:
    with UnitOfWork(engine) as uow:
        args = dict(bank="40702810000000000001", channel="sber", number="517", on=DAY,
                    payer_account="30101810400000000225")  # fmt: skip
        first = post_transfer(uow.conn, amount=148500, **args)
        second = post_transfer(uow.conn, amount=500, **args)
        uow.commit()
    assert first is not None and second is not None and first != second
    with engine.connect() as conn:
        assert balances(conn) == {"agent:sber": -149000, "bank:40702810000000000001": 149000}


def test_reclassification_moves_suspense_to_suppliers_by_a_new_entry(engine: sa.Engine) -> None:
    payment_id = _suspense_payment(engine)
    with UnitOfWork(engine) as uow:
        parts = split_frame([(0, A, "ЖКУ", 20000), (0, B, "ТКО", 10000)])
        entry = reclassify(uow.conn, payment_id, parts, on=DAY, description="resolved by accountant")
        again = reclassify(uow.conn, payment_id, parts, on=DAY, description="resolved again")
        uow.commit()
    assert entry is not None and again is None
    with engine.connect() as conn:
        assert balances(conn) == {
            "agent:sber": 30000,
            "suspense": 0,
            f"supplier:{A}": 20000,
            f"supplier:{B}": 10000,
        }
        kinds = conn.execute(sa.text("SELECT kind FROM ledger_entry ORDER BY id")).scalars().all()
        assert kinds == ["payment", "reclass"]
        assert check_ledger(conn) == []


def test_reclassification_must_move_exactly_what_is_in_suspense(engine: sa.Engine) -> None:
    payment_id = _suspense_payment(engine)
    with pytest.raises(Exception, match="reclassification parts 100 != 30000"), UnitOfWork(engine) as uow:
        reclassify(uow.conn, payment_id, split_frame([(0, A, "ЖКУ", 100)]), on=DAY, description="")


def test_reversal_undoes_an_entry_and_the_payment_counts_as_posted_zero_times(engine: sa.Engine) -> None:
    _suspense_payment(engine)
    with UnitOfWork(engine) as uow:
        entry_id = uow.conn.execute(sa.text("SELECT id FROM ledger_entry")).scalar_one()
        assert reverse_entry(uow.conn, entry_id, on=DAY, reason="agent recalled") is not None
        assert reverse_entry(uow.conn, entry_id, on=DAY, reason="twice") is None
        uow.commit()
    with engine.connect() as conn:
        assert balances(conn) == {"agent:sber": 0, "suspense": 0}
        assert check_ledger(conn) == []


def test_reversing_a_missing_entry_is_an_error(engine: sa.Engine) -> None:
    with pytest.raises(LedgerError, match="no ledger entry 42"), UnitOfWork(engine) as uow:
        reverse_entry(uow.conn, 42, on=DAY, reason="")


def test_a_single_entry_of_nothing_but_zero_legs_is_refused_and_writes_nothing(engine: sa.Engine) -> None:
    """Single entries pass the same leg checks as a register's: zero legs are dropped, and an entry
    left without legs is not written."""
    from domain.ledger import UnbalancedEntry
    from sql.entries import post_entry

    with pytest.raises(UnbalancedEntry, match="1 entries have no postings"), UnitOfWork(engine) as uow:
        post_entry(uow.conn, kind="reclass", source_key="reclass:zero", value_date=date(2026, 3, 15),
                   postings=[("suspense", 0, None), ("supplier:7707083893", 0, "ЖКУ")])  # fmt: skip
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ledger_entry")).scalar() == 0
