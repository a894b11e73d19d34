"""Charges are versioned and frozen: ``payment_document_version``, ``service_line.version``

A corrected billing export used to replace a stored ПД (DELETE and INSERT of its lines) until
money was posted against it, and was refused after that; an export imported while a night was
between its decision and its posting rewrote ПД that the night's money was being split by. Now an
import that changes a ПД's content adds a version of it: ``payment_document_version`` (one row per
version, append-only) and the version's ``service_line`` rows (append-only, unique by (uip,
version, line_no)); ``payment_document`` keeps one row per УИП with its current ``version`` and
``content_hash`` (``domain.chargeversions``). The ПД stored so far become their version 1, their
hashes computed from their lines, so that re-importing the same export finds nothing changed.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 06:20:00
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BATCH = 50_000  # ПД hashed per round


def upgrade() -> None:
    """Apply this revision."""
    from sql.append_only import CHARGES_TABLES, create

    with op.batch_alter_table("payment_document") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("content_hash", sa.String(64), nullable=False, server_default=""))
    op.create_table(
        "payment_document_version",
        sa.Column("uip", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("account", sa.String(32), nullable=False),
        sa.Column("account_raw", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("payer", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("uip", "version", name="pk_payment_document_version"),
    )
    with op.batch_alter_table("service_line") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.drop_constraint("uq_service_line_uip_line", type_="unique")
        batch.create_unique_constraint("uq_service_line_uip_version_line", ["uip", "version", "line_no"])
    _first_versions(op.get_bind())
    create(op.get_bind(), CHARGES_TABLES)


def _first_versions(conn: sa.Connection) -> None:
    """Every stored ПД becomes its version 1, with the hash of its content."""
    from domain.chargeversions import HEADER_FIELDS, content_hashes

    conn.execute(
        sa.text(
            "INSERT INTO payment_document_version (uip, version, import_id, content_hash, account, account_raw,"
            " period, total, payer, address) SELECT uip, 1, import_id, '', account, account_raw, period, total,"
            " COALESCE(payer, ''), COALESCE(address, '') FROM payment_document"
        )
    )
    header = ", ".join(f"d.{c}" for c in HEADER_FIELDS)
    last = ""
    while True:
        uips = conn.execute(
            sa.text("SELECT uip FROM payment_document WHERE uip > :last ORDER BY uip LIMIT :n"),
            {"last": last, "n": BATCH},
        ).scalars().all()
        if not uips:
            break
        lines = pd.read_sql_query(
            sa.text(
                f"SELECT l.uip, {header}, l.supplier_inn, l.service, l.amount FROM service_line l"  # noqa: S608
                " JOIN payment_document d ON d.uip = l.uip WHERE l.uip >= :lo AND l.uip <= :hi"
            ),
            conn,
            params={"lo": uips[0], "hi": uips[-1]},
        )
        hashes = content_hashes(lines.fillna({c: "" for c in HEADER_FIELDS}))
        rows = [{"u": u, "h": h} for u, h in hashes.items()]
        if rows:
            for table in ("payment_document", "payment_document_version"):
                conn.execute(sa.text(f"UPDATE {table} SET content_hash = :h WHERE uip = :u"), rows)  # noqa: S608
        last = uips[-1]


def downgrade() -> None:
    """Revert this revision: only each ПД's current version is kept."""
    from sql.append_only import CHARGES_TABLES, drop

    drop(op.get_bind(), CHARGES_TABLES, function=False)  # the ledger's triggers keep the function
    op.execute(
        "DELETE FROM service_line WHERE NOT EXISTS (SELECT 1 FROM payment_document d"
        " WHERE d.uip = service_line.uip AND d.version = service_line.version)"
    )
    with op.batch_alter_table("service_line") as batch:
        batch.drop_constraint("uq_service_line_uip_version_line", type_="unique")
        batch.create_unique_constraint("uq_service_line_uip_line", ["uip", "line_no"])
        batch.drop_column("version")
    op.drop_table("payment_document_version")
    with op.batch_alter_table("payment_document") as batch:
        batch.drop_column("content_hash")
        batch.drop_column("version")
