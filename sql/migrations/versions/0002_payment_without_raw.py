"""payment without its raw line

The raw line of every accepted payment was a second copy of the register files, which are kept in
the archive with their sha256 (``register.stored_path``) and give the line back by
``payment.line_no``; problem payments keep theirs in ``discrepancy.raw``. At a million payments a
night the copy was ~440 MB of COPY and half the time the server spent storing payments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("payment") as batch:
        batch.drop_column("raw")


def downgrade() -> None:
    """Revert this revision (the raw lines of stored payments are not restored: empty text)."""
    with op.batch_alter_table("payment") as batch:
        batch.add_column(sa.Column("raw", sa.Text(), nullable=False, server_default=""))
