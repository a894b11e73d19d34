"""Service lines lose their index by supplier

``ix_service_line_supplier_inn`` served one reader, ``rkc ledger check``'s ``unknown_supplier``,
which reads every line anyway (an anti-join with the suppliers directory: a scan of the table
instead of the index, ~0.1–0.3 s more per million lines). Every COPY of service lines paid for it:
a few dozen suppliers over millions of lines make a low-cardinality index whose every insert lands
mid-tree, the costliest of the table's three indexes to keep (docs/PERFORMANCE.md, «Session 16:
charges import»). Every other reader keys service lines by ПД and version.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop the index by supplier."""
    op.drop_index("ix_service_line_supplier_inn", table_name="service_line")


def downgrade() -> None:
    """Build it again."""
    op.create_index("ix_service_line_supplier_inn", "service_line", ["supplier_inn"], unique=False)
