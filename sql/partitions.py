"""The ledger's postings partitioned by month of their value date (PostgreSQL; migration 0027).

``ledger_posting`` is a table partitioned by range of ``value_date`` (its entry's value date,
copied onto every leg): one partition a month, ``ledger_part.ledger_posting_YYYY_MM``, and a
default partition ``ledger_part.ledger_posting_default`` that takes a leg whose month has none, so
the database never refuses a posting. The partitions live in a schema of their own, apart from
the tables the models describe. Each partition carries the append-only trigger of its parent: a
statement trigger on the parent does not fire for a statement that names a partition.

Writers call ``ensure_months`` with the value dates they are about to write, before the legs go
out: a month without its partition gets one from ``rkc_posting_partition`` (a SECURITY DEFINER
function of the schema's owner, as the application's role may not create tables), under an
advisory lock, in the writer's transaction. ``rkc ledger partitions`` creates them ahead and
reports what the default partition holds (docs/OPERATIONS.md); ``--adopt-default``, run by the
owner, moves those legs into partitions of their months (``adopt_default_months``). SQLite keeps
one table (the column is there, nothing is partitioned).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from sql.engine import is_postgres

SCHEMA = "ledger_part"
PARENT = "ledger_posting"
DEFAULT = f"{SCHEMA}.{PARENT}_default"
PARTITION_LOCK = 0x726B66  # serialises the creation of partitions (in ``FUNCTION``)


@dataclass(frozen=True)
class Partition:
    """One partition of ``ledger_posting``: its table, the month it holds (None: the default) and rows."""

    table: str
    month: date | None
    rows: int


def month_of(day: date) -> date:
    """The first day of ``day``'s month."""
    return date(day.year, day.month, 1)


def next_month(month: date) -> date:
    """The first day of the month after ``month``."""
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    """The qualified name of ``month``'s partition."""
    return f"{SCHEMA}.{PARENT}_{month:%Y_%m}"


def months_between(first: date, last: date) -> list[date]:
    """Every month from ``first``'s to ``last``'s, in order."""
    months, month = [], month_of(first)
    while month <= month_of(last):
        months.append(month)
        month = next_month(month)
    return months


# Creates a month's partition with its trigger; SECURITY DEFINER, so that the application's role,
# which owns no table (docs/OPERATIONS.md), can have a month made as it posts it. False when the
# partition exists, or when the default partition holds legs of that month (they would have to move).
FUNCTION = f"""
CREATE OR REPLACE FUNCTION rkc_posting_partition(day date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    first date := date_trunc('month', day)::date;
    upto date := (date_trunc('month', day) + interval '1 month')::date;
    name text := 'ledger_posting_' || to_char(day, 'YYYY_MM');
BEGIN
    PERFORM pg_advisory_xact_lock({PARTITION_LOCK});
    IF to_regclass(format('{SCHEMA}.%I', name)) IS NOT NULL THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM {DEFAULT} WHERE value_date >= first AND value_date < upto) THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE {SCHEMA}.%I PARTITION OF {PARENT} FOR VALUES FROM (%L) TO (%L)', name, first, upto);
    EXECUTE format('CREATE TRIGGER {PARENT}_append_only BEFORE UPDATE OR DELETE ON {SCHEMA}.%I'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rkc_append_only()', name);
    RETURN true;
END $$
"""  # noqa: S608 — names and a number of this module, no input


def ensure_months(conn: Connection, days: Iterable[date]) -> list[date]:
    """Give every month of ``days`` its partition of ``ledger_posting`` (PostgreSQL; nothing
    elsewhere); return the months created. A month whose legs already went to the default
    partition is left there (``rkc ledger partitions`` says so): creating its partition would
    have to move them. The creation holds the parent table until the writer commits: once a month."""
    if not is_postgres(conn):
        return []
    wanted = {month_of(d) for d in days}
    missing = sorted(wanted - set(_existing(conn)))  # one catalog query: the usual case ends here
    made = [m for m in missing if conn.execute(text("SELECT rkc_posting_partition(:d)"), {"d": m}).scalar()]
    return made


def _existing(conn: Connection) -> list[date]:
    """The months that have a partition."""
    prefix = f"{PARENT}_"
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :parent"
        ),
        {"parent": PARENT},
    ).scalars()
    months = []
    for name in rows:
        suffix = name[len(prefix) :]
        if suffix != "default":
            months.append(date(int(suffix[:4]), int(suffix[5:7]), 1))
    return months


def _outside_months(months: list[date]) -> str:
    """A condition on ``value_date`` true outside every month of ``months``: the legs the default
    partition holds, read through the parent (the application's role reads no partition by name)."""
    return " AND ".join(
        f"NOT (value_date >= '{m.isoformat()}' AND value_date < '{next_month(m).isoformat()}')" for m in months
    ) or "TRUE"


def partitions(conn: Connection) -> list[Partition]:
    """Every partition with the month it holds and its rows (estimated from the statistics for a
    month, counted for the default, which should be empty), months in order, the default last."""
    if not is_postgres(conn):
        return []
    months = sorted(_existing(conn))
    rows = []
    for month in months:
        name = partition_name(month)
        estimate = conn.execute(
            text(
                "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = :s AND c.relname = :t"
            ),
            {"s": SCHEMA, "t": name.split(".", 1)[1]},
        ).scalar_one()
        rows.append(Partition(name, month, int(estimate)))
    held = sum(n for _, n in default_months(conn))
    return [*rows, Partition(DEFAULT, None, held)]


def default_months(conn: Connection) -> list[tuple[date, int]]:
    """The months whose legs sit in the default partition, with how many (none, normally)."""
    if not is_postgres(conn):
        return []
    rows = conn.execute(
        text(
            "SELECT date_trunc('month', value_date)::date AS m, COUNT(*) FROM ledger_posting"  # noqa: S608
            f" WHERE {_outside_months(sorted(_existing(conn)))} GROUP BY 1 ORDER BY 1"
        )
    ).all()
    return [(r[0], int(r[1])) for r in rows]


def posting_months(conn: Connection) -> list[date]:
    """The months that have postings, in order: one cheap probe of each partition on PostgreSQL,
    from the postings elsewhere."""
    if not is_postgres(conn):
        rows = conn.execute(text("SELECT DISTINCT SUBSTR(value_date, 1, 7) FROM ledger_posting ORDER BY 1")).scalars()
        return [date(int(m[:4]), int(m[5:7]), 1) for m in rows]
    found = []
    for month in sorted(_existing(conn)):
        probe = "SELECT 1 FROM ledger_posting WHERE value_date >= :lo AND value_date < :hi LIMIT 1"
        if conn.execute(text(probe), {"lo": month, "hi": next_month(month)}).first() is not None:
            found.append(month)
    found += [m for m, _ in default_months(conn)]
    return sorted(set(found))


def adopt_default_months(conn: Connection) -> list[tuple[date, int]]:
    """Move the legs the default partition holds into partitions of their months, in the caller's
    transaction; return each month moved with its legs. Needs the tables' owner (DDL, and the
    append-only trigger set aside for the one DELETE of the moved legs); holds ``ledger_posting``
    exclusively until the caller commits, so run it with the nights stopped.

    For each month: the default is detached, the month's table created like the parent and filled
    from it, the moved legs deleted from the detached default, the month attached (PostgreSQL builds
    its indexes) with its trigger; the default is attached again last, when it holds no leg of a
    month that has a partition. Legs are copied whole (ids, amounts, dates): nothing is re-posted."""
    if not is_postgres(conn):
        return []
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PARTITION_LOCK})
    held = default_months(conn)
    if not held:
        return []
    conn.execute(text(f"ALTER TABLE {PARENT} DETACH PARTITION {DEFAULT}"))
    for month, _ in held:
        table, lo, hi = partition_name(month), month.isoformat(), next_month(month).isoformat()
        where = f"value_date >= '{lo}' AND value_date < '{hi}'"
        conn.execute(text(f"CREATE TABLE {table} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
        conn.execute(text(f"INSERT INTO {table} SELECT * FROM {DEFAULT} WHERE {where}"))  # noqa: S608
        conn.execute(text(f"ALTER TABLE {DEFAULT} DISABLE TRIGGER {PARENT}_append_only"))
        conn.execute(text(f"DELETE FROM {DEFAULT} WHERE {where}"))  # noqa: S608
        conn.execute(text(f"ALTER TABLE {DEFAULT} ENABLE TRIGGER {PARENT}_append_only"))
        conn.execute(text(f"ALTER TABLE {PARENT} ATTACH PARTITION {table} FOR VALUES FROM ('{lo}') TO ('{hi}')"))
        conn.execute(text(f"CREATE TRIGGER {PARENT}_append_only BEFORE UPDATE OR DELETE ON {table}"
                          " FOR EACH STATEMENT EXECUTE FUNCTION rkc_append_only()"))  # fmt: skip
    conn.execute(text(f"ALTER TABLE {PARENT} ATTACH PARTITION {DEFAULT} DEFAULT"))
    return held
