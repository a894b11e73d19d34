"""Service lines are keyed by what identifies them: (uip, version, line_no)

``service_line`` had a surrogate ``id`` (a sequence) as its primary key beside the unique
(uip, version, line_no) that every reader keys it by; no reader used the id. Every COPY of service
lines paid for both: a ``nextval`` and an index insert more a line (on PostgreSQL, 1M lines in key
order: 2.5–2.8 s of the server's CPU with both, 1.6–2.0 s with the natural key alone,
docs/PERFORMANCE.md «Session 19: charges import»). The unique constraint becomes the primary key;
the id column goes.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

KEY = ["uip", "version", "line_no"]


def upgrade() -> None:
    """Make (uip, version, line_no) the primary key; drop the id."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # One statement, one pass: the key's index is built once more (a unique constraint's index
        # cannot be taken over as the primary key's).
        op.execute(
            "ALTER TABLE service_line DROP CONSTRAINT pk_service_line, DROP COLUMN id,"
            " DROP CONSTRAINT uq_service_line_uip_version_line,"
            " ADD CONSTRAINT pk_service_line PRIMARY KEY (uip, version, line_no)"
        )
        return
    with op.batch_alter_table("service_line", recreate="always") as batch:
        batch.drop_constraint("uq_service_line_uip_version_line", type_="unique")
        batch.drop_column("id")
        batch.create_primary_key("pk_service_line", KEY)
    _append_only_again(bind)


def downgrade() -> None:
    """Give the lines an id again (numbered in key order) as their primary key, the key unique."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE service_line DROP CONSTRAINT pk_service_line")
        op.execute("ALTER TABLE service_line ADD COLUMN id BIGSERIAL")
        op.execute("ALTER TABLE service_line ADD CONSTRAINT pk_service_line PRIMARY KEY (id)")
        op.create_unique_constraint("uq_service_line_uip_version_line", "service_line", KEY)
        return
    with op.batch_alter_table("service_line", recreate="always") as batch:
        batch.drop_constraint("pk_service_line", type_="primary")
        batch.add_column(sa.Column("id", sa.Integer(), nullable=False))
        batch.create_primary_key("pk_service_line", ["id"])
        batch.create_unique_constraint("uq_service_line_uip_version_line", KEY)
    _append_only_again(bind)


def _append_only_again(bind: sa.Connection) -> None:
    """SQLite's table was rebuilt (a copy, the old one dropped with its triggers): make it
    append-only again."""
    from sql.append_only import create

    create(bind, ("service_line",))
