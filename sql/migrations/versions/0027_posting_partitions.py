"""Postings partitioned by month of their value date (PostgreSQL); the value date on every leg

``ledger_posting`` gets ``value_date``, its entry's value date, on both databases, and
``ledger_entry.value_date`` an index (a month's entries are read by it). On PostgreSQL
the table becomes partitioned by range of it: a partition a month in schema ``ledger_part``
(``ledger_posting_YYYY_MM``) for every month that has entries and for this month and the next
two, and a default partition; writers create further months as they post them
(``sql.partitions``). Its key becomes (entry, leg, value date), as PostgreSQL requires the
partition key in a partitioned table's keys; the leg's date is its entry's, so (entry, leg) stays
unique, and ``rkc ledger check`` reports a leg whose date is not its entry's. Rows present are
moved into the new table with their entry's date; a leg with no entry (a violation ``ledger
check`` reports) keeps 1970-01-01 and lands in the default partition. Every partition and the
parent keep the append-only trigger. SQLite rebuilds the table with the column, unpartitioned.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 16:00:00
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

_ORPHAN_DATE = "1970-01-01"  # a leg without an entry has no value date: it waits in the default partition
_LEGS = "entry_id, leg, account, amount, service"


def _new_table(partitioned: bool) -> None:
    """The new ``ledger_posting`` (partitioned by value date on PostgreSQL)."""
    options = {"postgresql_partition_by": "RANGE (value_date)"} if partitioned else {}
    op.create_table(
        "ledger_posting",
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("service", sa.Text(), nullable=True),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_posting_amount_nonzero")),
        sa.PrimaryKeyConstraint("entry_id", "leg", "value_date", name=op.f("pk_ledger_posting")),
        **options,
    )


def upgrade() -> None:
    """Apply this revision."""
    from sql import append_only, partitions

    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    append_only.drop(bind, ("ledger_posting",), function=False)
    op.rename_table("ledger_posting", "ledger_posting_old")
    if postgres:
        op.execute("ALTER TABLE ledger_posting_old RENAME CONSTRAINT pk_ledger_posting TO pk_ledger_posting_old")
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {partitions.SCHEMA}")
    _new_table(postgres)
    if postgres:
        op.execute(f"CREATE TABLE {partitions.DEFAULT} PARTITION OF ledger_posting DEFAULT")
        op.execute(
            f"CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON {partitions.DEFAULT}"
            " FOR EACH STATEMENT EXECUTE FUNCTION rkc_append_only()"
        )
        op.execute(partitions.FUNCTION)
        months = bind.execute(sa.text("SELECT DISTINCT date_trunc('month', value_date)::date FROM ledger_entry"))
        today = partitions.month_of(date.today())
        ahead = [today, partitions.next_month(today), partitions.next_month(partitions.next_month(today))]
        for month in sorted({*months.scalars(), *ahead}):
            bind.execute(sa.text("SELECT rkc_posting_partition(:d)"), {"d": month})
    op.execute(
        f"INSERT INTO ledger_posting ({_LEGS}, value_date)"  # noqa: S608
        f" SELECT p.entry_id, p.leg, p.account, p.amount, p.service, COALESCE(e.value_date, '{_ORPHAN_DATE}')"
        " FROM ledger_posting_old p LEFT JOIN ledger_entry e ON e.id = p.entry_id"
    )
    op.drop_table("ledger_posting_old")
    append_only.create(bind, ("ledger_posting",))
    op.create_index("ix_ledger_entry_value_date", "ledger_entry", ["value_date"], unique=False)
    if postgres:
        op.execute("ANALYZE ledger_posting")


def downgrade() -> None:
    """Revert this revision: one unpartitioned table keyed (entry, leg), the legs kept."""
    from sql import append_only, partitions

    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.drop_index("ix_ledger_entry_value_date", table_name="ledger_entry")
    append_only.drop(bind, ("ledger_posting",), function=False)
    op.rename_table("ledger_posting", "ledger_posting_new")
    if postgres:
        op.execute("ALTER TABLE ledger_posting_new RENAME CONSTRAINT pk_ledger_posting TO pk_ledger_posting_new")
    op.create_table(
        "ledger_posting",
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("leg", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("service", sa.Text(), nullable=True),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_posting_amount_nonzero")),
        sa.PrimaryKeyConstraint("entry_id", "leg", name=op.f("pk_ledger_posting")),
    )
    op.execute(f"INSERT INTO ledger_posting ({_LEGS}) SELECT {_LEGS} FROM ledger_posting_new")  # noqa: S608
    op.drop_table("ledger_posting_new")  # its partitions go with it
    if postgres:
        op.execute(f"DROP SCHEMA IF EXISTS {partitions.SCHEMA} CASCADE")
        op.execute("DROP FUNCTION IF EXISTS rkc_posting_partition(date)")
    append_only.create(bind, ("ledger_posting",))
