"""Outbound ГИС ЖКХ items and their state (``gis_export_item``)

The center places payments it received through other channels into ГИС ЖКХ and acknowledges them
against the ПД's service lines (docs/GIS.md). Each item has a TransportGUID, the date and file it
was exported in, the payload its XML is rendered from, and its status (pending, exported,
accepted, rejected) with ГИС ЖКХ's GUID or error from the loaded answer.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "gis_export_item",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("transport_guid", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.Column("sort_key", sa.String(200), nullable=False),
        sa.Column("export_date", sa.Date(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("gis_guid", sa.String(36), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("answer_file", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('notification', 'ack', 'ack_cancel')", name=op.f("ck_gis_export_item_kind_known")),
        sa.CheckConstraint(
            "status IN ('pending', 'exported', 'accepted', 'rejected')", name=op.f("ck_gis_export_item_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gis_export_item")),
        sa.UniqueConstraint("transport_guid", name=op.f("uq_gis_export_item_transport_guid")),
    )
    op.create_index("ix_gis_export_item_payment_id", "gis_export_item", ["payment_id"], unique=False)
    op.create_index("ix_gis_export_item_export_date", "gis_export_item", ["export_date"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_gis_export_item_export_date", table_name="gis_export_item")
    op.drop_index("ix_gis_export_item_payment_id", table_name="gis_export_item")
    op.drop_table("gis_export_item")
