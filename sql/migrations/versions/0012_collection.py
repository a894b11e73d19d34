"""Files collected from the channels' sources (``collected_file``)

``rkc collect`` fetches registers from SFTP directories, IMAP mailboxes and other folders into the
inbox. Each file is remembered by the source's name for it (``remote_key``) and by its sha256, so
that nothing is fetched twice and the same bytes under another name are not put into the inbox
again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "collected_file",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("remote_key", sa.Text(), nullable=False),
        sa.Column("remote_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("local_name", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("collected_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint("status IN ('landed', 'duplicate')", name=op.f("ck_collected_file_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collected_file")),
        sa.UniqueConstraint("channel", "remote_key", name="uq_collected_file_remote"),
    )
    op.create_index("ix_collected_file_sha256", "collected_file", ["sha256"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_collected_file_sha256", table_name="collected_file")
    op.drop_table("collected_file")
