"""The accountants' workbench: cases, their history, users, sessions, login attempts, audit log

Each discrepancy becomes a case (``work_case``) keyed by the problem, so a problem seen on a later
night is the same case; ``case_event`` is its history and comments. ``app_user``,
``app_session`` and ``login_attempt`` serve the web application's logins; ``audit_log`` records
every action with the state before and after, and is append-only like the ledger.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sql import append_only

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_NOW = sa.func.current_timestamp()


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "work_case",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_key", sa.String(200), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("register_id", sa.BigInteger(), nullable=True),
        sa.Column("discrepancy_id", sa.BigInteger(), nullable=False),
        sa.Column("operation_id", sa.String(64), nullable=True),
        sa.Column("account_raw", sa.String(64), nullable=True),
        sa.Column("uip", sa.String(32), nullable=True),
        sa.Column("payer", sa.Text(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("nights", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), server_default=_NOW, nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'in_work', 'resolved', 'accepted', 'informational')",
            name=op.f("ck_work_case_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_case")),
        sa.UniqueConstraint("case_key", name=op.f("uq_work_case_case_key")),
    )
    for column in ("code", "status", "channel", "payment_id", "operation_id", "account_raw", "uip", "amount",
                   "first_seen", "owner"):  # fmt: skip
        op.create_index(f"ix_work_case_{column}", "work_case", [column], unique=False)
    op.create_index("ix_work_case_queue", "work_case", ["status", "first_seen", "id"], unique=False)
    op.create_table(
        "case_event",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["work_case.id"], name=op.f("fk_case_event_case_id_work_case")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_event")),
    )
    op.create_index("ix_case_event_case_id", "case_event", ["case_id"], unique=False)
    op.create_table(
        "app_user",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=_NOW, nullable=False),
        sa.CheckConstraint("role IN ('accountant', 'senior', 'viewer')", name=op.f("ck_app_user_role_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("login", name=op.f("uq_app_user_login")),
    )
    op.create_table(
        "app_session",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_app_session_user_id_app_user")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_app_session")),
    )
    op.create_index("ix_app_session_user_id", "app_session", ["user_id"], unique=False)
    op.create_table(
        "login_attempt",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    for column in ("login", "address", "at"):
        op.create_index(f"ix_login_attempt_{column}", "login_attempt", [column], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(), server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    append_only.create(op.get_bind(), ("audit_log",))


def downgrade() -> None:
    """Revert this revision."""
    append_only.drop(op.get_bind(), ("audit_log",), function=False)
    op.drop_table("audit_log")
    for column in ("login", "address", "at"):
        op.drop_index(f"ix_login_attempt_{column}", table_name="login_attempt")
    op.drop_table("login_attempt")
    op.drop_index("ix_app_session_user_id", table_name="app_session")
    op.drop_table("app_session")
    op.drop_table("app_user")
    op.drop_index("ix_case_event_case_id", table_name="case_event")
    op.drop_table("case_event")
    op.drop_index("ix_work_case_queue", table_name="work_case")
    for column in ("code", "status", "channel", "payment_id", "operation_id", "account_raw", "uip", "amount",
                   "first_seen", "owner"):  # fmt: skip
        op.drop_index(f"ix_work_case_{column}", table_name="work_case")
    op.drop_table("work_case")
