"""ПД carry their address in normal form, indexed (``address_key``)

The nightly near misses compared every ПД's address with the addresses of the payments left in
suspense, and normalised all of them every night: 345,000 addresses read by COPY, mapped to
their ПД and put through six regular expressions, ~2.5 s of the decision step. The charges import
now stores ``domain.nearmiss.normalize_address(address)`` with each ПД, and the night asks for
the few ПД at the suspense payments' addresses through the index. This revision fills the key of
the ПД already stored; a change to the normal form needs a revision that fills it again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 22:30:00
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 50_000


def upgrade() -> None:
    """Apply this revision."""
    from domain.nearmiss import normalize_address

    with op.batch_alter_table("payment_document") as batch:
        batch.add_column(sa.Column("address_key", sa.Text(), nullable=False, server_default=""))
    conn = op.get_bind()
    docs = sa.table("payment_document", sa.column("uip"), sa.column("address"), sa.column("address_key"))
    last = ""
    while rows := conn.execute(
        sa.select(docs.c.uip, docs.c.address).where(docs.c.uip > last).order_by(docs.c.uip).limit(BATCH)
    ).all():
        keys = normalize_address(pd.Series([r.address for r in rows], dtype=object))
        filled = [{"u": r.uip, "k": k} for r, k in zip(rows, keys, strict=True) if k]
        if filled:
            conn.execute(
                docs.update().where(docs.c.uip == sa.bindparam("u")).values(address_key=sa.bindparam("k")), filled
            )
        last = rows[-1].uip
    with op.batch_alter_table("payment_document") as batch:
        batch.create_index("ix_payment_document_address_key", ["address_key"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("payment_document") as batch:
        batch.drop_index("ix_payment_document_address_key")
        batch.drop_column("address_key")
