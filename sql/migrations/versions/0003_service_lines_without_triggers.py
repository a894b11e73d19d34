"""service lines without foreign-key triggers; redundant indexes dropped

Storing ~1.2M service lines of a month's billing export spent half its server time in the two
foreign-key triggers of ``service_line`` (one lookup per row for the ПД and one for the supplier)
and in two indexes that others already cover: ``ix_service_line_uip`` by the unique (uip, line_no)
and ``ix_payment_document_account`` by (account, period). Measured on PostgreSQL 15: COPY of the
lines 36.8 s → 17.8 s; replacing ПД no longer fires a cascade lookup per deleted document. The
charges import writes both references itself in one transaction (lines of unknown suppliers are
rejected, a ПД's lines are stored with it and deleted with it), and ``rkc ledger check`` finds
orphan lines and unknown suppliers set-based, as it does for the ledger's bulk tables.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("service_line") as batch:
        batch.drop_constraint("fk_service_line_uip_payment_document", type_="foreignkey")
        batch.drop_constraint("fk_service_line_supplier_inn_supplier", type_="foreignkey")
        batch.drop_index("ix_service_line_uip")
    with op.batch_alter_table("payment_document") as batch:
        batch.drop_index("ix_payment_document_account")


def downgrade() -> None:
    """Revert this revision (fails where orphan lines were stored meanwhile)."""
    with op.batch_alter_table("payment_document") as batch:
        batch.create_index("ix_payment_document_account", ["account"], unique=False)
    with op.batch_alter_table("service_line") as batch:
        batch.create_index("ix_service_line_uip", ["uip"], unique=False)
        batch.create_foreign_key("fk_service_line_supplier_inn_supplier", "supplier", ["supplier_inn"], ["inn"])
        batch.create_foreign_key(
            "fk_service_line_uip_payment_document", "payment_document", ["uip"], ["uip"], ondelete="CASCADE"
        )
