"""The nightly run lock: a waiting run says for whom it waits; a run whose lock connection dies
learns it before its next register commit and posts nothing more, while the waiting run goes on."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from rkc.config import init_home
from rkc.runlock import RunLock, RunLockLost, run_lock
from sql.engine import make_engine

NIGHT = date(2026, 11, 20)


class _Said(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _logger(name: str) -> tuple[logging.Logger, _Said]:
    logger = logging.getLogger(f"test.runlock.{name}")
    logger.setLevel(logging.INFO)
    said = _Said()
    logger.addHandler(said)
    return logger, said


def _second_run(config, engine, logger, got: list, release: threading.Event) -> threading.Thread:
    def run() -> None:
        with run_lock(config, engine, NIGHT, logger, poll=0.1) as lock:
            got.append((time.monotonic(), lock))
            release.wait(10)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _wait_for(condition, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("condition not met")
        time.sleep(0.05)


@pytest.mark.postgres
def test_a_lost_lock_stops_the_run_and_the_waiting_run_says_for_whom_it_waited(tmp_path: Path, pg_url: str) -> None:
    config, _ = init_home(tmp_path / "home")
    first_engine, second_engine, admin = make_engine(pg_url), make_engine(pg_url), make_engine(pg_url)
    first_log, first_said = _logger("first")
    second_log, second_said = _logger("second")
    got: list = []
    release = threading.Event()
    with ExitStack() as stack:
        first = stack.enter_context(run_lock(config, first_engine, NIGHT, first_log, poll=0.1))
        second = _second_run(config, second_engine, second_log, got, release)
        _wait_for(lambda: second_said.lines)
        assert second_said.lines[0].startswith(f"waiting for the run of {NIGHT.isoformat()} started ")
        assert "/" in second_said.lines[0] and " s so far" in second_said.lines[0]
        with admin.connect() as conn:
            first.check(conn)  # still held: posting may go on
            assert not got
            conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": first.pid})  # the connection dies
        _wait_for(lambda: got)
        with admin.connect() as conn:
            with pytest.raises(RunLockLost, match=r"the run lock was lost .* it is now held by the run of"):
                first.check(conn)  # the first run posts nothing more
            got[0][1].check(conn)  # the second run holds it
        release.set()
        second.join(10)
    assert any("the run lock's connection is gone" in line for line in first_said.lines)
    for engine in (first_engine, second_engine, admin):
        engine.dispose()


@pytest.mark.postgres
def test_a_lock_that_was_never_this_runs_is_refused(pg_url: str) -> None:
    engine = make_engine(pg_url)
    with engine.connect() as conn, pytest.raises(RunLockLost, match="pid 2147480000"):
        RunLock("the run of 2026-11-20 started 02:30:04 on host/1", pid=2_147_480_000).check(conn)
    engine.dispose()


def test_sqlite_runs_wait_for_each_other_by_a_lock_file(tmp_path: Path) -> None:
    config, _ = init_home(tmp_path / "home")
    engine = make_engine(f"sqlite:///{tmp_path / 'rkc.db'}")
    second_log, second_said = _logger("sqlite")
    got: list = []
    release = threading.Event()
    with run_lock(config, engine, NIGHT) as first:
        second = _second_run(config, engine, second_log, got, release)
        _wait_for(lambda: second_said.lines)
        assert second_said.lines[0].startswith(f"waiting for {first.holder}, ")
        assert not got
        with engine.connect() as conn:
            first.check(conn)  # a lock file cannot be lost while its process lives
    _wait_for(lambda: got)
    release.set()
    second.join(10)
    engine.dispose()


@pytest.mark.postgres
def test_posting_checks_the_lock_before_each_register(tmp_path: Path, pg_url: str, monkeypatch) -> None:
    from flows.nightly import post_register

    monkeypatch.setenv("RKC_DATABASE_URL", pg_url)
    config, _ = init_home(tmp_path / "home")
    lost = RunLock("the run of 2026-11-20 started 02:30:04 on host/1", pid=2_147_480_000).to_dict()
    with pytest.raises(RunLockLost, match="this run stops before posting more"):
        post_register.fn(str(config.home), {"not": "read"}, None, NIGHT, lost)  # fails before the intake is read
