"""Payers' own п/п become payments: where each came from (``bank_transfer.line_no``) and where its
statement was filed (``bank_statement.stored_path``)

An incoming п/п whose payer is no configured agent is a payment of the channel ``direct``
(docs/RULES.md, "Direct payments"). Its payment points at its source as every payment does: the
statement file (filed in the archive; its path is recorded once it is moved) and the line of the
document's ``СекцияДокумент``. Both columns are nullable: statements and п/п stored before this
revision keep no line, and a statement's path is recorded after its move.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("bank_transfer", sa.Column("line_no", sa.Integer(), nullable=True))
    op.add_column("bank_statement", sa.Column("stored_path", sa.Text(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("bank_statement") as batch:
        batch.drop_column("stored_path")
    with op.batch_alter_table("bank_transfer") as batch:
        batch.drop_column("line_no")
