"""Meter readings given with payments (``meter_reading``)

Registers may carry the payer's meter readings beside the payment (ПУ and value pairs,
``CounterVal_N:``). They are stored as data, one row per reading, with the payment they came with
and its account; no foreign-key trigger on ``payment_id``, since a register's readings are written
by COPY with its payments.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 03:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "meter_reading",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("account", sa.String(32), nullable=True),
        sa.Column("meter", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_reading")),
    )
    op.create_index("ix_meter_reading_payment_id", "meter_reading", ["payment_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_meter_reading_payment_id", table_name="meter_reading")
    op.drop_table("meter_reading")
