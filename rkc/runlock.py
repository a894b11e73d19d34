"""One nightly run at a time: a second run waits for the first, then finds nothing left to do."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

from rkc.config import Config

RUN_LOCK = 0x726B6301


@contextmanager
def run_lock(config: Config, engine: Engine) -> Iterator[None]:
    """Hold the run lock: a PostgreSQL session advisory lock, or a lock file for SQLite."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": RUN_LOCK})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": RUN_LOCK})
                conn.commit()
        return
    path = config.home / ".run.lock"
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
