"""A payment split across several ПД, and registers accepted whose totals do not tie

``resolution`` keyed one row per payment; a payment split across several ПД in the workbench or a
resolutions workbook has one row per part: the unique key becomes (payment, ПД), and each row
keeps its part's ``amount`` (NULL on rows written before: the whole payment). A quarantined
register accepted by a senior accountant is recorded in ``register_acceptance``; the next night
reads its file again and posts its lines (docs/WORKBENCH.md).

SQLite rebuilds ``resolution`` for its changed constraints (a batch); it has no append-only
triggers to lose.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("resolution") as batch:
        batch.drop_constraint(op.f("uq_resolution_payment_id"), type_="unique")
        batch.add_column(sa.Column("amount", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint("uq_resolution_payment_target", ["payment_id", "target_uip"])
        batch.create_check_constraint(op.f("ck_resolution_amount_positive"), "amount IS NULL OR amount > 0")
    op.create_table(
        "register_acceptance",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("register_id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("accepted_by", sa.String(64), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("declared_count", sa.Integer(), nullable=True),
        sa.Column("declared_amount", sa.BigInteger(), nullable=True),
        sa.Column("declared_transfer", sa.BigInteger(), nullable=True),
        sa.Column("declared_commission", sa.BigInteger(), nullable=True),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("amount_total", sa.BigInteger(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.CheckConstraint("status IN ('accepted', 'posted')", name=op.f("ck_register_acceptance_status_known")),
        sa.ForeignKeyConstraint(["register_id"], ["register.id"], name=op.f("fk_register_acceptance_register_id_register")),
        sa.ForeignKeyConstraint(["case_id"], ["work_case.id"], name=op.f("fk_register_acceptance_case_id_work_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_acceptance")),
        sa.UniqueConstraint("register_id", name=op.f("uq_register_acceptance_register_id")),
    )
    op.create_index("ix_register_acceptance_case_id", "register_acceptance", ["case_id"], unique=False)
    op.create_index("ix_register_acceptance_status", "register_acceptance", ["status"], unique=False)


def downgrade() -> None:
    """Revert this revision (refused by the unique key while a payment is split across ПД)."""
    op.drop_table("register_acceptance")
    with op.batch_alter_table("resolution") as batch:
        batch.drop_constraint(op.f("ck_resolution_amount_positive"), type_="check")
        batch.drop_constraint("uq_resolution_payment_target", type_="unique")
        batch.drop_column("amount")
        batch.create_unique_constraint(op.f("uq_resolution_payment_id"), ["payment_id"])
