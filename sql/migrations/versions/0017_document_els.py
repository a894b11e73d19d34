"""ПД carry their ЕЛС or ИЖКУ (``els``), read from the charges export's optional ``els`` column

Matching finds a ПД by the ЕЛС + period, then by the ИЖКУ (docs/RULES.md, passes 4-5). The column
is nullable: ПД imported before, and exports without the column, have none. ``op.add_column`` (a
plain ALTER TABLE ADD COLUMN on both databases), not a batch: a batch rebuilds a SQLite table and
would drop the triggers that keep ``payment_document_version`` append-only.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("payment_document", sa.Column("els", sa.String(length=13), nullable=True))
    op.add_column("payment_document_version", sa.Column("els", sa.String(length=13), nullable=True))


def downgrade() -> None:
    """Revert this revision (SQLite 3.35+ drops a column in place)."""
    op.drop_column("payment_document_version", "els")
    op.drop_column("payment_document", "els")
