"""The run lock's fence against postings that outlive their run (a Dask worker still posting when
its run died or was interrupted): a register's transaction checks the lock once it holds its share
of the ledger lock, and the next run waits for every such transaction before it reads anything."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from rkc.config import init_home
from rkc.runlock import RunLockLost, run_lock
from sql.bulk import POSTING_LOCK
from sql.engine import make_engine

pytestmark = pytest.mark.postgres
NIGHT = date(2026, 11, 20)


def _wait_for(condition, seconds: float = 30.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("condition not met")
        time.sleep(0.05)


def _waiting_for_the_ledger(engine: sa.Engine) -> bool:
    """Whether some session waits for the ledger's exclusive lock (one bigint key: its low 32 bits
    are ``objid``, ``objsubid`` is 1)."""
    with engine.connect() as conn:
        return bool(conn.execute(sa.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = :k AND objsubid = 1"
        ), {"k": POSTING_LOCK}).scalar())  # fmt: skip


def test_the_next_run_waits_for_a_posting_begun_under_the_last(tmp_path: Path, pg_url: str) -> None:
    config, _ = init_home(tmp_path / "home")
    engine = make_engine(pg_url)
    got: list = []
    with run_lock(config, engine, NIGHT) as first:
        posting = engine.connect()  # a worker's register transaction, begun while the first run holds the lock
        posting.begin()
        first.hold_for_posting(posting, "sber")
    # The first run is gone; its worker has not committed yet.
    late = engine.connect()
    with pytest.raises(RunLockLost, match="this run stops before posting more"):
        first.hold_for_posting(late, "portal")  # a posting that begins now posts nothing
    late.close()

    second_engine = make_engine(pg_url)  # the next run is another process, with connections of its own

    def second_run() -> None:
        with run_lock(config, second_engine, NIGHT, poll=0.1) as lock:
            got.append(lock)

    second = threading.Thread(target=second_run, daemon=True)
    second.start()
    _wait_for(lambda: _waiting_for_the_ledger(engine))
    assert not got  # it holds the run lock but reads nothing while the posting is open
    posting.commit()
    posting.close()
    second.join(30)
    assert got and got[0].pid != first.pid
    engine.dispose()
    second_engine.dispose()
