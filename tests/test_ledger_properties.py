"""Properties of posting over random batches: entries balance, balances equal postings,
re-posting adds nothing, and the order of posting does not change the balances."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sql.ledger_queries import balances, check_ledger
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import empty_database, new_register, payment_frame, split_frame

SUPPLIERS = ["7707083893", "500100732259", "7830002293"]


@st.composite
def batches(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A batch of payments, some split among suppliers, some left for suspense."""
    n = draw(st.integers(1, 12))
    rows, splits = [], []
    for i in range(n):
        amount = draw(st.integers(1, 5_000_000))
        commission = draw(st.integers(0, amount))
        channel = draw(st.sampled_from(["sber", "portal", "gis"]))
        rows.append(
            {"operation_id": f"op{i}", "amount": amount, "commission": commission, "channel": channel}
        )
        if draw(st.booleans()):
            cut = draw(st.integers(0, amount))
            parts = [
                (i, SUPPLIERS[0], "ЖКУ", cut),
                (i, draw(st.sampled_from(SUPPLIERS)), "ТКО", amount - cut),
            ]
            splits.extend(p for p in parts if p[3] > 0)
    return payment_frame(rows), split_frame(splits)


def _post(engine: sa.Engine, payments: pd.DataFrame, splits: pd.DataFrame, name: str) -> None:
    with UnitOfWork(engine) as uow:
        post_payments(uow.conn, new_register(uow.conn, name), payments, splits)
        uow.commit()


def _reordered(payments: pd.DataFrame, splits: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    shuffled = payments.sample(frac=1, random_state=seed).reset_index(drop=True)
    remap = dict(zip(shuffled["payment_id"], range(len(shuffled)), strict=True))
    shuffled["payment_id"] = range(len(shuffled))
    moved = splits.assign(payment_id=splits["payment_id"].map(remap)).sample(frac=1, random_state=seed)
    return shuffled, moved


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=batches(), seed=st.integers(0, 1000))
def test_posting_invariants(engine: sa.Engine, batch: tuple[pd.DataFrame, pd.DataFrame], seed: int) -> None:
    payments, splits = batch
    empty_database(engine)
    _post(engine, payments, splits, "a.txt")
    with engine.connect() as conn:
        assert check_ledger(conn) == []  # every entry balances; stored balances equal postings
        first = balances(conn)
        entries = conn.execute(sa.text("SELECT COUNT(*) FROM ledger_entry")).scalar()
    assert entries == len(payments)
    total_in = int(payments["amount"].sum())
    owed = sum(v for k, v in first.items() if k.startswith("supplier:") or k == "suspense")
    assert owed == total_in  # every kopeck reached a supplier or suspense

    _post(engine, payments, splits, "b.txt")  # re-posting adds nothing
    with engine.connect() as conn:
        assert balances(conn) == first
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ledger_entry")).scalar() == entries

    empty_database(engine)  # another order gives the same balances
    _post(engine, *_reordered(payments, splits, seed), "c.txt")
    with engine.connect() as conn:
        assert balances(conn) == first
