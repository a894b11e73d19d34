"""The outbox of deliveries (``outbox``)

Supplier statements go out by e-mail or to the supplier's SFTP through this table: one row per
delivery (recipient, files with sha256, status, attempts, last error, when to try again), so that a
statement is sent once, retried after a failure, and re-sent only on purpose (a new generation).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 06:12:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("document", sa.String(16), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("supplier_inn", sa.String(12), nullable=False),
        sa.Column("transport", sa.String(8), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("message_id", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name=op.f("ck_outbox_status_known")),
        sa.CheckConstraint("transport IN ('email', 'sftp')", name=op.f("ck_outbox_transport_known")),
        sa.CheckConstraint("document IN ('statement')", name=op.f("ck_outbox_document_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("document", "period", "supplier_inn", "transport", "recipient", "generation",
                            name="uq_outbox_delivery"),
    )
    op.create_index("ix_outbox_status", "outbox", ["status"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_outbox_status", table_name="outbox")
    op.drop_table("outbox")
