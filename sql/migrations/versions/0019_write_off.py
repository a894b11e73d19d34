"""Write-offs with four eyes: the ``write_off`` entry kind and the ``write_off_request`` table

A suspense payment's money written off in the workbench is an entry of the new kind ``write_off``
(Dr suspense, Cr write_off:rkc; docs/LEDGER.md), so the kind check is extended as 0015 did. A
request above ``workbench.write_off_limit`` waits in ``write_off_request`` for a senior accountant
other than the one who asked (docs/WORKBENCH.md).

On SQLite rebuilding ``ledger_entry`` for its check drops the append-only triggers
(``sql.append_only``); they are created again.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 10:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('payment', 'transfer', 'reversal', 'reclass', 'fee', 'payout', 'payout_settled')"
NEW_KINDS = "kind IN ('payment', 'transfer', 'reversal', 'reclass', 'fee', 'payout', 'payout_settled', 'write_off')"
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_NOW = sa.func.current_timestamp()


def _kinds(kinds: str) -> None:
    from sql.append_only import create, drop

    bind = op.get_bind()
    rebuilt = ("ledger_entry",)  # SQLite rebuilds the table, which drops its triggers
    drop(bind, rebuilt, function=False)
    with op.batch_alter_table("ledger_entry") as batch:
        batch.drop_constraint(op.f("ck_ledger_entry_kind_known"), type_="check")
        batch.create_check_constraint(op.f("ck_ledger_entry_kind_known"), kinds)
    create(bind, rebuilt)


def upgrade() -> None:
    """Apply this revision."""
    _kinds(NEW_KINDS)
    op.create_table(
        "write_off_request",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(), server_default=_NOW, nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.Column("reversal_entry_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'refused', 'undone')", name=op.f("ck_write_off_request_status_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_write_off_request_amount_positive")),
        sa.ForeignKeyConstraint(["case_id"], ["work_case.id"], name=op.f("fk_write_off_request_case_id_work_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_write_off_request")),
    )
    op.create_index("ix_write_off_request_case_id", "write_off_request", ["case_id"], unique=False)
    op.create_index("ix_write_off_request_status", "write_off_request", ["status"], unique=False)


def downgrade() -> None:
    """Revert this revision (refused by the kind check while write-off entries exist)."""
    op.drop_table("write_off_request")
    _kinds(OLD_KINDS)
