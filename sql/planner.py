"""Planner settings for one read: what a few large queries need that the server's defaults do not
give (``rkc ledger check``'s month passes, the payouts' catch-up), set local to the transaction and
put back after, so the rest of it plans as usual."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text

from sql.engine import is_postgres


@contextmanager
def planner_settings(conn: Connection, settings: dict[str, str]) -> Iterator[None]:
    """PostgreSQL's ``settings`` for the statements inside, then put back (local to the transaction:
    a failure leaves them to its rollback). Nothing on SQLite."""
    if not is_postgres(conn):
        yield
        return
    names = list(settings)
    current = conn.execute(text("SELECT " + ", ".join(f"current_setting(:n{i})" for i in range(len(names)))),
                           {f"n{i}": n for i, n in enumerate(names)}).one()  # fmt: skip
    _set(conn, settings)
    yield
    _set(conn, dict(zip(names, current, strict=True)))


def _set(conn: Connection, settings: dict[str, str]) -> None:
    """``set_config`` of each setting, local to the transaction."""
    calls = ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(settings)))
    params = {k: v for i, (n, value) in enumerate(settings.items()) for k, v in ((f"n{i}", n), (f"v{i}", value))}
    conn.execute(text(f"SELECT {calls}"), params)
