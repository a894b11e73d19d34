"""The ledger's tables refuse UPDATE and DELETE (``sql.append_only``)

Nothing in the database refused an edit of the ledger: both legs of an entry and both balances
changed together, a supplier leg moved to another supplier, a whole entry deleted with its legs,
``payment.amount`` changed — all passed. The application never updates or deletes these rows
(corrections are new entries); now the database refuses it too. INSERT and COPY are untouched.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 04:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    from sql.append_only import LEDGER_TABLES, create

    create(op.get_bind(), LEDGER_TABLES)


def downgrade() -> None:
    """Revert this revision."""
    from sql.append_only import LEDGER_TABLES, drop

    drop(op.get_bind(), LEDGER_TABLES)
