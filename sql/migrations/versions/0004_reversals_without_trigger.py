"""ledger entries without the foreign-key trigger of ``reverses_id``

Every entry COPY'd by the nightly posting fired the row trigger of the self-reference
``reverses_id → ledger_entry.id``, though only the rare reversal entry sets it. Measured on
PostgreSQL 15, COPY of 1,000,000 entries: 5.8–6.2 s with the key, 4.9–5.4 s without. Reversals
are written by ``sql.entries.reverse_entry`` from an entry read in the same transaction, and
``rkc ledger check`` reports a reversal that names an entry not stored (``unknown_reversed_entry``),
as it does for the other references of the bulk tables.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 22:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("ledger_entry") as batch:
        batch.drop_constraint("fk_ledger_entry_reverses_id_ledger_entry", type_="foreignkey")


def downgrade() -> None:
    """Revert this revision (fails where a reversal names an entry that is not stored)."""
    with op.batch_alter_table("ledger_entry") as batch:
        batch.create_foreign_key("fk_ledger_entry_reverses_id_ledger_entry", "ledger_entry", ["reverses_id"], ["id"])
