"""An SQLite file read or settled outside SQLAlchemy: Prefect's own database, which
``flows.prefect_db`` migrates once and copies into new homes."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path


def alembic_revision(path: Path) -> str | None:
    """The one Alembic revision recorded in the SQLite file ``path`` (a finished migration), read
    without locking or writing anything beside it; None when it is no such database."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)) as db:
            rows = db.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def settle(path: Path) -> None:
    """Make ``path`` one self-contained file: its write-ahead log folded in and no longer kept,
    so that copying the file copies the whole database."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=DELETE")
