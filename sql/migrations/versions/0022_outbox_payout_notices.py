"""The outbox carries payout notices too (``document`` = ``payout``)

``rkc deliver --payouts-date D`` sends each supplier paid on D a notice of its payment orders
through the same outbox as the statements (docs/OPERATIONS.md). The check on ``outbox.document``
gains the value, and ``period`` holds a date (10 characters) as well as a month. SQLite rebuilds the table for a changed check (a batch); ``outbox`` has no
append-only triggers to lose.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def _documents(values: str, period_length: int) -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f("ck_outbox_document_known"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_document_known"), f"document IN ({values})")
        batch.alter_column("period", type_=sa.String(period_length), existing_nullable=False)


def upgrade() -> None:
    """Apply this revision."""
    _documents("'statement', 'payout'", 10)


def downgrade() -> None:
    """Revert this revision (payout notices must be gone from the outbox first)."""
    _documents("'statement'", 7)
