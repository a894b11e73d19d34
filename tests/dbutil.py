"""Helpers for tests that write to the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pandas as pd
import sqlalchemy as sa

from sql import append_only
from sql.models import Base
from sql.registers import create_register


def empty_database(engine: sa.Engine) -> None:
    """Delete every row of every table (keeps the schema; the ledger's append-only triggers set aside)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            with behind_the_ledgers_back(conn):
                for table in tables:
                    conn.execute(sa.text(f"DELETE FROM {table}"))


@contextmanager
def behind_the_ledgers_back(conn: sa.Connection) -> Iterator[None]:
    """Edit the ledger as someone with the database's own powers could (a superuser, a copy of the
    SQLite file): the append-only triggers set aside for this transaction. For tests that check
    that ``rkc ledger check`` finds what such an edit leaves."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        yield
        conn.execute(sa.text("SET LOCAL session_replication_role = origin"))
        return
    append_only.drop(conn)
    yield
    append_only.create(conn)


def new_register(conn: sa.Connection, name: str = "r.txt", channel: str = "sber") -> int:
    """A register row to hang payments on."""
    return create_register(
        conn,
        file=name,
        sha256=name.ljust(64, "0")[:64],
        channel=channel,
        fmt="text",
        run_date=date(2026, 3, 16),
    )


def payment_frame(rows: list[dict]) -> pd.DataFrame:
    """A posting batch from short dicts; fills the columns a test does not care about."""
    defaults = {
        "channel": "sber", "occurrence": 1, "line_no": 1, "raw": "raw", "paid_date": "2026-03-15",
        "paid_time": None, "account_raw": None, "account": None, "uip": None, "els": None, "period": None,
        "commission": 0, "payer": None, "address": None, "matched_uip": None, "match_rule": None,
    }  # fmt: skip
    frame = pd.DataFrame([{**defaults, **row} for row in rows])
    frame["payment_id"] = range(len(frame))
    return frame


def split_frame(rows: list[tuple[int, str, str, int]]) -> pd.DataFrame:
    """Splits as (payment_id, supplier_inn, service, amount) tuples."""
    return pd.DataFrame(rows, columns=["payment_id", "supplier_inn", "service", "amount"])
