"""The workbench's case columns compare bytewise (``COLLATE "C"``) on PostgreSQL

``work_case`` carries twelve indexes for the queue's filters and search, most on text. Under the
database's locale collation every index insertion compares keys through the locale, which made
opening a night's cases the slowest part of the nightly report (docs/PERFORMANCE.md, "Cases").
These columns hold identifiers and codes, searched by equality and never sorted for people, so
bytewise order loses nothing. SQLite compares bytewise already: nothing to do there.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 09:05:00
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# column → its declared length (sql/models/workbench.py WorkCase)
COLUMNS = {"case_key": 200, "code": 32, "status": 16, "channel": 64, "operation_id": 64, "account_raw": 64,
           "uip": 32, "owner": 64}  # fmt: skip


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, length in COLUMNS.items():
        op.execute(f'ALTER TABLE work_case ALTER COLUMN {column} TYPE VARCHAR({length}) COLLATE "{collation}"')


def upgrade() -> None:
    """Apply this revision."""
    _collate("C")


def downgrade() -> None:
    """Revert this revision: the database's default collation again."""
    _collate("default")
