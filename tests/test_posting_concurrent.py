"""Registers posted at once on PostgreSQL: the ledger lock lets channels overlap, never one channel
with itself nor anything with an exclusive writer; id blocks never overlap; nothing is lost."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from sql.bulk import allocate_ids, lock_ledger
from sql.ledger_queries import balances, check_ledger
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import new_register, payment_frame, split_frame

pytestmark = pytest.mark.postgres
SUPPLIER = "7707083893"


@pytest.fixture
def pg(pg_url: str) -> Iterator[sa.Engine]:
    from sql.engine import make_engine
    from tests.dbutil import empty_database

    engine = make_engine(pg_url)  # migrated by the pg_url fixture
    empty_database(engine)
    yield engine
    engine.dispose()


def _holding(engine: sa.Engine, channel: str | None) -> Iterator[None]:
    """Hold the ledger lock (for ``channel``, or exclusive) in an open transaction."""
    with engine.connect() as conn:
        lock_ledger(conn, channel)
        yield
        conn.rollback()


def _can_lock(engine: sa.Engine, channel: str | None) -> bool:
    """Whether another transaction gets the ledger lock within 200 ms."""
    with engine.connect() as conn:
        conn.execute(sa.text("SET lock_timeout = '200ms'"))
        try:
            lock_ledger(conn, channel)
        except OperationalError:
            return False
        finally:
            conn.rollback()
        return True


LOCKS = [  # (lock held, lock asked for, granted)
    ("sber", "gis", True),
    ("sber", "sber", False),
    ("sber", None, False),
    (None, "sber", False),
    (None, None, False),
]


@pytest.mark.parametrize(("held", "asked", "granted"), LOCKS)
def test_ledger_lock_lets_channels_overlap_only(
    pg: sa.Engine, held: str | None, asked: str | None, granted: bool
) -> None:
    hold = _holding(pg, held)
    next(hold)
    try:
        assert _can_lock(pg, asked) is granted
    finally:
        next(hold, None)


def test_id_blocks_reserved_at_once_never_overlap(pg: sa.Engine) -> None:
    blocks: list[range] = []

    def reserve() -> None:
        with pg.connect() as conn:
            for _ in range(40):
                blocks.append(allocate_ids(conn, "payment", 25))

    _in_threads([reserve, reserve, reserve])
    ids = [i for block in blocks for i in block]
    assert len(blocks) == 120 and len(ids) == len(set(ids)) == 3000


def test_registers_of_two_channels_posted_at_once_are_both_whole(pg: sa.Engine) -> None:
    def register(channel: str, count: int) -> Callable[[], None]:
        rows = [{"channel": channel, "operation_id": str(n), "amount": 100 + n} for n in range(count)]
        payments = payment_frame(rows)
        splits = split_frame([(n, SUPPLIER, "ЖКУ", 100 + n) for n in range(0, count, 2)])

        def post() -> None:
            for part in range(3):  # three registers of the channel: they queue behind each other
                with UnitOfWork(pg) as uow:
                    rid = new_register(uow.conn, f"{channel}-{part}.txt", channel)
                    mine = payments.iloc[part::3]
                    post_payments(uow.conn, rid, mine, splits[splits["payment_id"].isin(mine["payment_id"])])
                    uow.commit()

        return post

    _in_threads([register("sber", 3000), register("gis", 2000)])
    with pg.connect() as conn:
        got = balances(conn)
        assert check_ledger(conn) == []
        assert conn.execute(sa.text("SELECT COUNT(*), COUNT(DISTINCT id) FROM payment")).one() == (5000, 5000)
    assert got["agent:sber"] == sum(100 + n for n in range(3000))
    assert got["agent:gis"] == sum(100 + n for n in range(2000))
    split_total = sum(100 + n for n in range(0, 3000, 2)) + sum(100 + n for n in range(0, 2000, 2))
    assert got[f"supplier:{SUPPLIER}"] == split_total
    assert got["suspense"] == got["agent:sber"] + got["agent:gis"] - split_total


def _in_threads(jobs: list[Callable[[], None]]) -> None:
    """Run the jobs in threads started together; re-raise the first failure."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(job: Callable[[], None]) -> None:
        start.wait()
        try:
            job()
        except BaseException as error:  # handed to the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
