"""Tamper evidence: every entry's hash chained in its batch, a chain of batches, signed manifests

``ledger_entry.hash`` (sha256 of the entry's content and the hash before it in its batch),
``ledger_batch`` (each committed batch linked to the one committed before it) and
``run_manifest`` (each run's inputs, outputs, bridge and chain head, signed with HMAC-SHA256).
Both new tables are append-only like the ledger. Entries posted before this revision are sealed
here, batch by batch in the order they were posted, by the same code that seals new ones
(``sql.chain.seal_unchained``), so ``rkc ledger verify`` covers the whole ledger.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NEW_TABLES = ("ledger_batch", "run_manifest")  # sql.append_only.CHAIN_TABLES as of this revision


def upgrade() -> None:
    """Apply this revision."""
    from sql.append_only import create
    from sql.chain import seal_unchained

    op.add_column("ledger_entry", sa.Column("hash", sa.String(64), nullable=True))
    op.create_table(
        "ledger_batch",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("batch", sa.String(36), nullable=False),
        sa.Column("prev", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("legs", sa.Integer(), nullable=False),
        sa.Column("first_entry", sa.BigInteger(), nullable=False),
        sa.Column("last_entry", sa.BigInteger(), nullable=False),
        sa.Column("head", sa.String(64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_ledger_batch")),
        sa.UniqueConstraint("batch", name=op.f("uq_ledger_batch_batch")),
    )
    op.create_table(
        "run_manifest",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_manifest")),
    )
    op.create_index("ix_run_manifest_run_date", "run_manifest", ["run_date"], unique=False)
    bind = op.get_bind()
    seal_unchained(bind)
    create(bind, NEW_TABLES)


def downgrade() -> None:
    """Revert this revision."""
    from sql.append_only import LEDGER_TABLES, create, drop

    bind = op.get_bind()
    drop(bind, NEW_TABLES, function=False)
    op.drop_index("ix_run_manifest_run_date", table_name="run_manifest")
    op.drop_table("run_manifest")
    op.drop_table("ledger_batch")
    drop(bind, LEDGER_TABLES)
    with op.batch_alter_table("ledger_entry") as batch:
        batch.drop_column("hash")
    create(bind, LEDGER_TABLES)
