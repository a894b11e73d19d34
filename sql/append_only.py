"""The ledger's tables refuse UPDATE and DELETE: corrections are new entries, never edits.

``ledger_entry``, ``ledger_posting`` and ``payment``, the chain of batches (``ledger_batch``) and
the signed run manifests (``run_manifest``), and every version of a ПД (``payment_document_version``,
``service_line``) get statement-level triggers (PostgreSQL) or
row triggers (SQLite) that raise on UPDATE and DELETE; INSERT and COPY are untouched, so posting
keeps its speed. They stop the application and anyone using its role by mistake; a superuser can
still switch triggers off (``session_replication_role``), which is why the application should
run as a role without UPDATE, DELETE and TRUNCATE on these tables (docs/OPERATIONS.md) and why
``rkc ledger check`` recomputes balances from the postings. On SQLite a migration that rebuilds
one of these tables (``batch_alter_table``) drops its triggers: it must call ``create`` again.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

LEDGER_TABLES = ("ledger_entry", "ledger_posting", "payment")  # migration 0008
# The chain of batches over the ledger and the signed run manifests (migration 0010)
CHAIN_TABLES = ("ledger_batch", "run_manifest")
# Every version of a ПД, as money may have been split by it (migration 0014)
CHARGES_TABLES = ("payment_document_version", "service_line")
TABLES = LEDGER_TABLES + CHAIN_TABLES + CHARGES_TABLES
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION rkc_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rkc: % is append-only: % refused (corrections are new entries)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
"""


def statements(dialect: str, tables: tuple[str, ...] = TABLES) -> list[str]:
    """The DDL that makes ``tables`` append-only on ``dialect`` (postgresql or sqlite).

    A migration names the tables of its own revision: ``TABLES`` grows with later ones."""
    if dialect == "postgresql":
        return [_PG_FUNCTION] + [
            f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
            "FOR EACH STATEMENT EXECUTE FUNCTION rkc_append_only()"
            for t in tables
        ]
    return [
        f"CREATE TRIGGER {t}_no_{op.lower()} BEFORE {op} ON {t} BEGIN "
        f"SELECT RAISE(ABORT, 'rkc: {t} is append-only: {op} refused (corrections are new entries)'); END"
        for t in tables for op in ("UPDATE", "DELETE")
    ]  # fmt: skip


def drop_statements(dialect: str, tables: tuple[str, ...] = TABLES, *, function: bool = True) -> list[str]:
    """The DDL that undoes ``statements`` (the trigger function too, unless ``function`` is false)."""
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in tables] + (
            ["DROP FUNCTION IF EXISTS rkc_append_only()"] if function else []
        )
    return [f"DROP TRIGGER IF EXISTS {t}_no_{op}" for t in tables for op in ("update", "delete")]


def create(conn: Connection, tables: tuple[str, ...] = TABLES) -> None:
    """Make ``tables`` (by default every append-only table) append-only."""
    for statement in statements(conn.dialect.name, tables):
        conn.execute(text(statement))


def drop(conn: Connection, tables: tuple[str, ...] = TABLES, *, function: bool = True) -> None:
    """Let ``tables`` be changed again (a downgrade; tests that tamper as a superuser could)."""
    for statement in drop_statements(conn.dialect.name, tables, function=function):
        conn.execute(text(statement))
