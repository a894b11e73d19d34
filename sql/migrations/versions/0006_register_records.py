"""Registers keep their record accounting: records read, non-payment records

Every physical record of a register file (text line, sheet row, DBF record, XML notification) is
a payment, a declared non-payment (title, header, footer, totals, blank, comment …) or rejected;
intake checks the three add up to an independent count of the file's records. The register row
keeps the count and the non-payments so that the report shows, per register, records read,
payments, non-payment lines and rejected. Rows stored before this revision have 0 for both: their
files were read before the accounting existed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("register") as batch:
        batch.add_column(sa.Column("records", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("non_payment_lines", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("register") as batch:
        batch.drop_column("non_payment_lines")
        batch.drop_column("records")
