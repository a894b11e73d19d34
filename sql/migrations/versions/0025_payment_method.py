"""Every payment carries its method (``payment.method``), checked against the known methods

How the payer paid (cashier, terminal, bank app, Автоплатёж, ГИС ЖКХ, Госуслуги, QR code, the
regional portal, the supplier's and the center's sites, the УК's cabinet, a direct transfer;
``domain.methods.PaymentMethod``), read from the register or the channel's default (docs/RULES.md).
Payments stored before this revision keep NULL: the report counts them as «не указан». The column
is added with its check in one ``ALTER TABLE … ADD COLUMN`` on both databases: SQLite need not
rebuild ``payment`` (and so keeps its append-only triggers), PostgreSQL rewrites nothing.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# The methods as of this revision (a later one that adds a method replaces the check).
METHODS = ("cashier", "terminal", "bank_app", "autopay", "gis", "gosuslugi", "qr", "regional_portal",
           "supplier_site", "center_site", "uk_cabinet", "direct_transfer")  # fmt: skip


def upgrade() -> None:
    """Apply this revision."""
    known = ", ".join(f"'{m}'" for m in METHODS)
    op.execute(f"ALTER TABLE payment ADD COLUMN method VARCHAR(24) CONSTRAINT ck_payment_method_known "
               f"CHECK (method IN ({known}))")  # fmt: skip


def downgrade() -> None:
    """Revert this revision (the methods of the payments stored meanwhile are lost)."""
    op.execute("ALTER TABLE payment DROP COLUMN method")
