"""The ledger's tables refuse UPDATE and DELETE: corrections are new entries, never edits.

``ledger_entry``, ``ledger_posting`` and ``payment`` get statement-level triggers (PostgreSQL) or
row triggers (SQLite) that raise on UPDATE and DELETE; INSERT and COPY are untouched, so posting
keeps its speed. They stop the application and anyone using its role by mistake; a superuser can
still switch triggers off (``session_replication_role``), which is why the application should
run as a role without UPDATE, DELETE and TRUNCATE on these tables (docs/OPERATIONS.md) and why
``rkc ledger check`` recomputes balances from the postings. On SQLite a migration that rebuilds
one of these tables (``batch_alter_table``) drops its triggers: it must call ``create`` again.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

TABLES = ("ledger_entry", "ledger_posting", "payment")
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION rkc_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rkc: % is append-only: % refused (corrections are new entries)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
"""


def statements(dialect: str) -> list[str]:
    """The DDL that makes the ledger tables append-only on ``dialect`` (postgresql or sqlite)."""
    if dialect == "postgresql":
        return [_PG_FUNCTION] + [
            f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
            "FOR EACH STATEMENT EXECUTE FUNCTION rkc_append_only()"
            for t in TABLES
        ]
    return [
        f"CREATE TRIGGER {t}_no_{op.lower()} BEFORE {op} ON {t} BEGIN "
        f"SELECT RAISE(ABORT, 'rkc: {t} is append-only: {op} refused (corrections are new entries)'); END"
        for t in TABLES for op in ("UPDATE", "DELETE")
    ]  # fmt: skip


def drop_statements(dialect: str) -> list[str]:
    """The DDL that undoes ``statements``."""
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in TABLES] + [
            "DROP FUNCTION IF EXISTS rkc_append_only()"
        ]
    return [f"DROP TRIGGER IF EXISTS {t}_no_{op}" for t in TABLES for op in ("update", "delete")]


def create(conn: Connection) -> None:
    """Make the ledger tables append-only."""
    for statement in statements(conn.dialect.name):
        conn.execute(text(statement))


def drop(conn: Connection) -> None:
    """Let the ledger tables be changed again (a downgrade)."""
    for statement in drop_statements(conn.dialect.name):
        conn.execute(text(statement))
