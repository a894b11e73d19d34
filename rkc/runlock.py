"""One nightly run at a time, and a lock that cannot be lost silently.

On PostgreSQL the run holds a session advisory lock on a connection of its own. That connection
can die while the run goes on (a network cut, an administrator's ``pg_terminate_backend``): the
lock is then gone and a waiting run starts. So the lock is checked before each register is
committed (``RunLock.check``): a run that lost it stops before posting more and says so. A run
that waits says for whom and for how long ("waiting for the run of 2026-11-20 started 02:30:04 on
host/pid, 35 s so far"), from the session name the holder gave its connection.

On SQLite the lock is a lock file (``fcntl``): it lives and dies with the process that holds it,
so it cannot be lost while the run goes on; the holder writes who it is into the file.

Registers may be posted by processes other than the run's own (Dask workers, docs/OPERATIONS.md
«The night on a Dask cluster»), which can outlive it: the run that holds the lock may die, or be
interrupted, while a worker is still posting. Two checks fence them off. A register's transaction
takes its share of the ledger lock and only then checks that the run still holds the run lock
(``RunLock.hold_for_posting``), so it either commits while the run holds it or posts nothing; and
a run that has taken the run lock waits for every ledger writer still under way before it reads
anything (``wait_for_ledger_writers``), so what an earlier run's worker committed is seen.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine

from rkc.config import Config
from sql.bulk import lock_ledger
from sql.engine import is_postgres
from sql.runlock import holders, name_session, server_identity, try_lock, unlock

RUN_LOCK = 0x726B6301
POLL_SECONDS = 5.0
log = logging.getLogger("rkc.runlock")
Logger = logging.Logger | logging.LoggerAdapter


class RunLockLost(RuntimeError):
    """The run no longer holds the nightly run lock: it must not post anything more."""


class NotTheRunsDatabase(RunLockLost):
    """A task reached another database than its run's (a worker configured apart from the run)."""


@dataclass(frozen=True)
class RunLock:
    """The lock a run holds: who it is, and (PostgreSQL) the backend pid of the connection holding it."""

    holder: str  # "the run of 2026-11-20 started 02:30:04 on host/pid"
    pid: int | None = None  # None: a lock file (SQLite), which cannot be lost while the process lives
    database: str = ""  # the run's database as its server names it (PostgreSQL; sql.runlock.server_identity)

    def check(self, conn: Connection) -> None:
        """Raise ``RunLockLost`` unless this run's connection still holds the lock (PostgreSQL), and
        ``NotTheRunsDatabase`` when ``conn`` is on another database than the run's."""
        if self.pid is None or not is_postgres(conn):
            return
        if self.database and (mine := server_identity(conn)) != self.database:
            raise NotTheRunsDatabase(f"{self.holder}: this task's database is {mine}, the run's is {self.database}; "
                                     "give every worker the run's rkc.yaml and RKC_DATABASE_URL")  # fmt: skip
        found = holders(conn, RUN_LOCK)
        if any(pid == self.pid for pid, _, _ in found):
            return
        other = f"; it is now held by {found[0][1] or 'pid ' + str(found[0][0])}" if found else ""
        raise RunLockLost(f"{self.holder}: the run lock was lost (its database connection, pid {self.pid}, ended)"
                          f"{other}; this run stops before posting more")  # fmt: skip

    def check_still_held(self, engine: Engine) -> None:
        """``check`` on a connection of its own: what a posting task asks before it posts."""
        if self.pid is None:
            return
        with engine.connect() as conn:
            self.check(conn)

    def hold_for_posting(self, conn: Connection, channel: str) -> None:
        """At the start of a register's transaction: take its share of the ledger lock (for
        ``channel``, as posting does), then ``check``. The share is held to the commit, and a run
        that takes the run lock next waits for it (``wait_for_ledger_writers``): so the register
        is committed while this run holds the run lock, or not at all."""
        lock_ledger(conn, channel)
        self.check(conn)

    def to_dict(self) -> dict:
        """Plain dict for passing between tasks."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RunLock:
        """Inverse of ``to_dict``."""
        return cls(**data)


def describe(run_date: date) -> str:
    """How a run names itself to the runs that wait for it."""
    started = datetime.now().strftime("%H:%M:%S")
    return f"the run of {run_date.isoformat()} started {started} on {socket.gethostname()}/{os.getpid()}"


@contextmanager
def run_lock(
    config: Config, engine: Engine, run_date: date, logger: Logger = log, poll: float = POLL_SECONDS,
) -> Iterator[RunLock]:  # fmt: skip
    """Hold the run lock (waiting for it, saying for whom) and yield it; given back at the end."""
    me = describe(run_date)
    if is_postgres(engine):
        yield from _postgres(engine, me, logger, poll)
        return
    path = config.home / ".run.lock"
    with path.open("a+") as handle:
        waited = time.monotonic()
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                handle.seek(0)
                other = handle.read().strip() or "another run"
                logger.info("waiting for %s, %.0f s so far", other, time.monotonic() - waited)
                time.sleep(poll)
        handle.seek(0)
        handle.truncate()
        handle.write(me)
        handle.flush()
        try:
            yield RunLock(me)
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def wait_for_ledger_writers(engine: Engine, logger: Logger = log) -> None:
    """Wait for every ledger writer under way to commit or roll back (PostgreSQL): a register that
    a worker of an earlier run was still posting when that run died must be seen by this one."""
    if not is_postgres(engine):
        return
    waited = time.monotonic()
    with engine.begin() as conn:
        lock_ledger(conn)  # exclusive: granted once no posting holds its share
    if (took := time.monotonic() - waited) >= 1:
        logger.info("waited %.0f s for the ledger writers of an earlier run to finish", took)


def _postgres(engine: Engine, me: str, logger: Logger, poll: float) -> Iterator[RunLock]:
    with engine.connect() as conn:
        pid = name_session(conn, me)
        conn.commit()
        waited = time.monotonic()
        while not try_lock(conn, RUN_LOCK):
            conn.commit()
            found = holders(conn, RUN_LOCK)
            other = found[0][1] if found and found[0][1] else "another run"
            logger.info("waiting for %s, %.0f s so far", other, time.monotonic() - waited)
            time.sleep(poll)
        database = server_identity(conn)
        conn.commit()
        wait_for_ledger_writers(engine, logger)
        try:
            yield RunLock(me, pid, database)
        finally:
            try:
                unlock(conn, RUN_LOCK)
                conn.commit()
            except Exception as exc:  # the connection died: the lock went with it, nothing to give back
                logger.warning("%s: the run lock's connection is gone (%s); nothing to release", me, exc)
