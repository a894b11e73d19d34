"""ГИС ЖКХ cancellations of payment notifications (``gis_cancellation``)

A cancellation file in a ГИС ЖКХ channel's inbox annuls notifications by OrderID; each is stored
once (OrderID + TransportGUID), applied by reversing its payment, or held until that payment is
posted (docs/GIS.md, "Cancellations"). The row changes (held → applied); the reversal itself is a
ledger entry like any other.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 10:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "gis_cancellation",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(32), nullable=False),
        sa.Column("transport_guid", sa.String(36), nullable=False),
        sa.Column("cancelled_on", sa.Date(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("applied_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint("status IN ('applied', 'held')", name=op.f("ck_gis_cancellation_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gis_cancellation")),
        sa.UniqueConstraint("order_id", "transport_guid", name="uq_gis_cancellation_item"),
    )
    op.create_index("ix_gis_cancellation_order_id", "gis_cancellation", ["order_id"], unique=False)
    op.create_index("ix_gis_cancellation_status", "gis_cancellation", ["status"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_gis_cancellation_status", table_name="gis_cancellation")
    op.drop_index("ix_gis_cancellation_order_id", table_name="gis_cancellation")
    op.drop_table("gis_cancellation")
