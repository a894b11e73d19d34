"""Refunds to payers: the ``refund`` and ``refund_settled`` entry kinds and the ``refund`` table

A refund of a posted payment's money is an entry of the new kind ``refund`` (Dr suspense or the
suppliers the payment was split to, Cr refunds_payable); the bank's debit of its payment order is
``refund_settled`` (Dr refunds_payable, Cr bank; docs/LEDGER.md). The kind check is rebuilt with
the whole list, as 0020 did. ``refund`` holds each refund: the payment, the payer's details, the
reason, who asked and who decided, its payment order and its entries (docs/WORKBENCH.md).

On SQLite rebuilding ``ledger_entry`` for its check drops the append-only triggers
(``sql.append_only``); they are created again.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

OLD_KINDS = (
    "kind IN ('payment', 'transfer', 'reversal', 'reclass', 'fee', 'payout', 'payout_settled', 'write_off', 'allocation')"
)
NEW_KINDS = (
    "kind IN ('payment', 'transfer', 'reversal', 'reclass', 'fee', 'payout', 'payout_settled', 'write_off', 'allocation',"
    " 'refund', 'refund_settled')"
)
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_NOW = sa.func.current_timestamp()


def _check(kinds: str) -> None:
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
    _check(NEW_KINDS)
    op.create_table(
        "refund",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("payer_name", sa.Text(), nullable=False),
        sa.Column("account", sa.String(20), nullable=False),
        sa.Column("bic", sa.String(9), nullable=False),
        sa.Column("inn", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime(), server_default=_NOW, nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("order_number", sa.String(16), nullable=True),
        sa.Column("order_date", sa.Date(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("entry_id", sa.BigInteger(), nullable=True),
        sa.Column("settled_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("cancel_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("debit_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refund_amount_positive")),
        sa.CheckConstraint(
            "status IN ('requested', 'approved', 'refused', 'prepared', 'settled', 'cancelled')",
            name=op.f("ck_refund_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund")),
        sa.UniqueConstraint("order_date", "order_number", name="uq_refund_order"),
    )
    op.create_index("ix_refund_payment_id", "refund", ["payment_id"], unique=False)
    op.create_index("ix_refund_status", "refund", ["status"], unique=False)
    op.create_index("ix_refund_order_date", "refund", ["order_date"], unique=False)


def downgrade() -> None:
    """Revert this revision (refused by the kind check while refund entries exist)."""
    op.drop_index("ix_refund_order_date", table_name="refund")
    op.drop_index("ix_refund_status", table_name="refund")
    op.drop_index("ix_refund_payment_id", table_name="refund")
    op.drop_table("refund")
    _check(OLD_KINDS)
