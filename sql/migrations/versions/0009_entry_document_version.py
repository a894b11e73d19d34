"""Each ledger entry records the ПД version its split used (``ledger_entry.document_version``)

Charges are versioned (a corrected billing export makes a new version of a ПД instead of
rewriting it): a payment's entry names the version whose service lines split it, so a correction
imported while a night posts cannot change what that night's money was split by, and an auditor
can recompute every split from the version it records. NULL for entries that split nothing by a
ПД (suspense, transfers). A plain ``ADD COLUMN`` (no table rebuild) keeps SQLite's append-only
triggers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 06:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("ledger_entry", sa.Column("document_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    from sql.append_only import LEDGER_TABLES, create, drop

    drop(op.get_bind(), LEDGER_TABLES)
    with op.batch_alter_table("ledger_entry") as batch:
        batch.drop_column("document_version")
    create(op.get_bind(), LEDGER_TABLES)
