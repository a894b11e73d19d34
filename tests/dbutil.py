"""Helpers for tests that write to the database."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from sql.models import Base
from sql.registers import create_register


def empty_database(engine: sa.Engine) -> None:
    """Delete every row of every table (keeps the schema)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(sa.text(f"DELETE FROM {table}"))


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
    frame["pidx"] = range(len(frame))
    return frame


def split_frame(rows: list[tuple[int, str, str, int]]) -> pd.DataFrame:
    """Splits as (pidx, supplier_inn, service, amount) tuples."""
    return pd.DataFrame(rows, columns=["pidx", "supplier_inn", "service", "amount"])
