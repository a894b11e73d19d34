"""Money going out: the center's fee, payouts to suppliers, outgoing debits, user reversals

New entry kinds ``fee``, ``payout`` and ``payout_settled`` (the kind check is extended); the
suppliers directory gains the contract number and fee terms; registers may be ``recalled``. New
tables: ``payout_batch`` (one per date prepared), ``payout`` (each payment order), ``payout_hold``
(accountants' holds), ``bank_debit`` (the statement's outgoing documents), ``fee_base`` and
``fee_month`` (collections per month and the fee accrued on them), ``reversal_request`` (a
register or payment reversed by a user, once).

On SQLite rebuilding ``ledger_entry`` for its check drops the append-only triggers
(``sql.append_only``); they are created again.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('payment', 'transfer', 'reversal', 'reclass')"
NEW_KINDS = "kind IN ('payment', 'transfer', 'reversal', 'reclass', 'fee', 'payout', 'payout_settled')"
OLD_STATUS = "status IN ('received', 'posted', 'quarantined', 'bad_file', 'duplicate')"
NEW_STATUS = "status IN ('received', 'posted', 'quarantined', 'bad_file', 'duplicate', 'recalled')"
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _checks(kinds: str, status: str) -> None:
    from sql.append_only import create, drop

    bind = op.get_bind()
    rebuilt = ("ledger_entry",)  # SQLite rebuilds the table, which drops its triggers
    drop(bind, rebuilt, function=False)
    with op.batch_alter_table("ledger_entry") as batch:
        batch.drop_constraint(op.f("ck_ledger_entry_kind_known"), type_="check")
        batch.create_check_constraint(op.f("ck_ledger_entry_kind_known"), kinds)
    with op.batch_alter_table("register") as batch:
        batch.drop_constraint(op.f("ck_register_status_known"), type_="check")
        batch.create_check_constraint(op.f("ck_register_status_known"), status)
    create(bind, rebuilt)


def upgrade() -> None:
    """Apply this revision."""
    _checks(NEW_KINDS, NEW_STATUS)
    with op.batch_alter_table("supplier") as batch:
        batch.add_column(sa.Column("contract_no", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("fee_percent", sa.String(16), nullable=False, server_default="0"))
        batch.add_column(sa.Column("fee_min", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("fee_max", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("fee_services", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "reversal_request",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.CheckConstraint("subject IN ('register', 'payment')", name=op.f("ck_reversal_request_subject_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reversal_request")),
        sa.UniqueConstraint("subject", "subject_id", name="uq_reversal_request_subject"),
    )
    op.create_table(
        "payout_hold",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("supplier_inn", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("held_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout_hold")),
    )
    op.create_index("ix_payout_hold_supplier_inn", "payout_hold", ["supplier_inn"], unique=False)
    op.create_table(
        "payout_batch",
        sa.Column("pay_date", sa.Date(), nullable=False),
        sa.Column("prepared_at", sa.DateTime(), nullable=False),
        sa.Column("through_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("payouts", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("skipped", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pay_date", name=op.f("pk_payout_batch")),
    )
    op.create_table(
        "payout",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("pay_date", sa.Date(), nullable=False),
        sa.Column("number", sa.String(16), nullable=False),
        sa.Column("supplier_inn", sa.String(12), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("recipient_name", sa.Text(), nullable=False),
        sa.Column("recipient_kpp", sa.String(9), nullable=False),
        sa.Column("recipient_account", sa.String(20), nullable=False),
        sa.Column("recipient_bic", sa.String(9), nullable=False),
        sa.Column("contract_no", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("settled_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("cancel_entry_id", sa.BigInteger(), nullable=True),
        sa.Column("debit_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payout_amount_positive")),
        sa.CheckConstraint("status IN ('prepared', 'settled', 'cancelled')", name=op.f("ck_payout_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payout")),
        sa.UniqueConstraint("pay_date", "supplier_inn", name="uq_payout_day_supplier"),
        sa.UniqueConstraint("pay_date", "number", name="uq_payout_day_number"),
    )
    op.create_index("ix_payout_pay_date", "payout", ["pay_date"], unique=False)
    op.create_table(
        "bank_debit",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("statement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("debited", sa.Date(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("recipient_name", sa.Text(), nullable=False),
        sa.Column("recipient_inn", sa.String(12), nullable=False),
        sa.Column("recipient_account", sa.String(20), nullable=False),
        sa.Column("recipient_bic", sa.String(9), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("payout_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["statement_id"], ["bank_statement.id"], name=op.f("fk_bank_debit_statement_id_bank_statement")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_debit")),
        sa.UniqueConstraint("date", "number", "recipient_account", "amount", name="uq_bank_debit_identity"),
    )
    op.create_table(
        "fee_base",
        sa.Column("supplier_inn", sa.String(12), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("service", sa.Text(), nullable=False),
        sa.Column("collected", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("supplier_inn", "period", "service", name=op.f("pk_fee_base")),
    )
    op.create_table(
        "fee_month",
        sa.Column("supplier_inn", sa.String(12), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("accrued", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("supplier_inn", "period", name=op.f("pk_fee_month")),
    )


def downgrade() -> None:
    """Revert this revision (refused by the checks while entries of the new kinds exist)."""
    for table in ("fee_month", "fee_base", "bank_debit", "payout", "payout_batch", "payout_hold", "reversal_request"):
        op.drop_table(table)
    with op.batch_alter_table("supplier") as batch:
        for column in ("fee_services", "fee_max", "fee_min", "fee_percent", "contract_no"):
            batch.drop_column(column)
    _checks(OLD_KINDS, OLD_STATUS)
