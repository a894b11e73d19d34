"""Postings partitioned by month of their value date (migration 0027, ``sql.partitions``).

On PostgreSQL a month posted gets its partition, a month's statements and checks read only its
partitions (the plans say so), every partition refuses edits like the table, and the migration
moves a populated ledger in and back out. On SQLite the legs carry their value date the same way.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from alembic import command

from sql.engine import alembic_config, make_engine, migrate
from sql.entries import post_transfer
from sql.ledger_queries import MONTH_ACCOUNTS, MONTH_PASS, MONTH_PASS_SETTINGS, STRAY_LEGS, check_ledger
from sql.partitions import DEFAULT, default_months, ensure_months, partition_name, posting_months
from sql.posting import post_payments
from sql.reporting import movements_sql, period_balances_sql
from sql.uow import UnitOfWork
from tests.dbutil import behind_the_ledgers_back, empty_database, new_register, payment_frame, split_frame


@pytest.fixture
def pg(pg_url: str):  # type: ignore[no-untyped-def]
    """An engine on the worker's migrated PostgreSQL database, emptied."""
    engine = make_engine(pg_url)
    empty_database(engine)
    yield engine
    engine.dispose()


def _post(engine: sa.Engine, days: list[str], name: str = "r.txt") -> None:
    """A register with one payment a day of ``days`` (ISO), each split to a supplier."""
    rows = [{"operation_id": f"{name}-{i}", "amount": 1000 + i, "paid_date": d} for i, d in enumerate(days)]
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn, name)
        splits = split_frame([(i, "7707083893", "ЖКУ", 1000 + i) for i in range(len(days))])
        post_payments(uow.conn, rid, payment_frame(rows), splits)
        uow.commit()


def _plan(conn: sa.Connection, query: str, params: dict | None = None) -> str:
    return "\n".join(conn.execute(sa.text(f"EXPLAIN {query}"), params or {}).scalars())


def test_every_leg_carries_its_entrys_value_date(engine: sa.Engine) -> None:
    _post(engine, ["2026-03-31", "2026-04-01"])
    with UnitOfWork(engine) as uow:
        post_transfer(uow.conn, bank="bank:1", channel="sber", amount=500, number="7", on=date(2026, 5, 2),
                      payer_account="40702810000000000001")  # fmt: skip
        uow.commit()
    with engine.connect() as conn:
        stray = conn.execute(sa.text(
            "SELECT COUNT(*) FROM ledger_posting p JOIN ledger_entry e ON e.id = p.entry_id"
            " WHERE e.value_date <> p.value_date")).scalar()  # fmt: skip
        assert stray == 0
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ledger_posting")).scalar() == 6
        assert posting_months(conn) == [date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)]
        assert check_ledger(conn) == []
        assert check_ledger(conn, [date(2026, 4, 1)]) == []


def test_a_leg_dated_otherwise_than_its_entry_is_found(engine: sa.Engine) -> None:
    _post(engine, ["2026-03-15"])
    with engine.begin() as conn, behind_the_ledgers_back(conn):
        conn.execute(sa.text("UPDATE ledger_posting SET value_date = '2026-04-02' WHERE leg = 2"))
    with engine.connect() as conn:
        found = {(v.kind, v.subject) for v in check_ledger(conn)}
        march = {v.kind for v in check_ledger(conn, [date(2026, 3, 1)])}
        april = {v.kind for v in check_ledger(conn, [date(2026, 4, 1)])}
    assert found == {("unbalanced_entry", "entry 1"), ("posting_date_mismatch", "entry 1")}
    assert (march, april) == ({"unbalanced_entry"}, {"posting_date_mismatch"})


@pytest.mark.postgres
def test_a_month_posted_gets_its_partition_and_the_default_stays_empty(pg: sa.Engine) -> None:
    _post(pg, ["2031-07-09", "2031-08-30"])
    with pg.connect() as conn:
        held = dict(conn.execute(sa.text(
            "SELECT tableoid::regclass::text, COUNT(*) FROM ledger_posting WHERE value_date >= '2031-07-01'"
            " GROUP BY 1")).all())  # fmt: skip
        assert held == {partition_name(date(2031, 7, 1)): 2, partition_name(date(2031, 8, 1)): 2}
        assert default_months(conn) == []
        assert ensure_months(conn, [date(2031, 7, 20)]) == []  # made once


@pytest.mark.postgres
def test_a_month_s_reads_touch_only_its_partitions(pg: sa.Engine) -> None:
    _post(pg, ["2031-01-10", "2031-02-10", "2031-03-10", "2031-04-10"])
    with pg.connect() as conn:
        conn.execute(sa.text("ANALYZE ledger_posting"))
        feb, mar, apr = (partition_name(date(2031, m, 1)) for m in (2, 3, 4))
        names = set(conn.execute(sa.text(
            "SELECT c.relnamespace::regnamespace::text || '.' || c.relname FROM pg_inherits i JOIN pg_class c"
            " ON c.oid = i.inhrelid WHERE i.inhparent = 'ledger_posting'::regclass")).scalars())  # fmt: skip

        def touched(plan: str) -> set[str]:
            return {n for n in names if n.split(".")[1] in plan}

        month = {"lo": date(2031, 2, 1), "hi": date(2031, 3, 1), "first": 0, "last": 10**12}
        assert touched(_plan(conn, movements_sql("2031-02"))) == {feb}
        for query in (MONTH_PASS["postgresql"], MONTH_ACCOUNTS):
            assert touched(_plan(conn, query, month)) == {feb}
        for name, value in MONTH_PASS_SETTINGS.items():  # the month's pass streams: no hash of a month's entries
            conn.execute(sa.text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
        streamed = _plan(conn, MONTH_PASS["postgresql"], month)
        assert "Merge Full Join" in streamed and "GroupAggregate" in streamed and "Hash" not in streamed
        stray = sa.text(f"EXPLAIN {STRAY_LEGS}").bindparams(sa.bindparam("ids", expanding=True))
        assert touched("\n".join(conn.execute(stray, {**month, "ids": [1, 2]}).scalars())) == {feb}
        # the balances read the month and the months after it (none before)
        after = touched(_plan(conn, period_balances_sql("2031-02")))
        assert {feb, mar, apr} <= after
        assert not any(n.split("_")[-2:] < ["2031", "02"] and n != DEFAULT for n in after)
        assert DEFAULT in after  # the default could hold any date


@pytest.mark.postgres
def test_a_partition_refuses_edits_like_the_table(pg: sa.Engine) -> None:
    _post(pg, ["2031-05-05"])
    for edit in ("UPDATE {t} SET amount = amount + 1", "DELETE FROM {t}"):
        for table in (partition_name(date(2031, 5, 1)), DEFAULT):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), pg.begin() as conn:
                conn.execute(sa.text(edit.format(t=table)))


@pytest.mark.alembic  # a test of the migration: its database migrated by Alembic, not copied
def test_the_migration_moves_a_populated_ledger_in_and_out(engine: sa.Engine) -> None:
    _post(engine, ["2025-11-03", "2026-01-31"])
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT entry_id, leg, account, amount, service FROM ledger_posting"
                                      " ORDER BY 1, 2")).all()  # fmt: skip
    command.downgrade(alembic_config(engine), "0026")
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("ledger_posting")}
        assert "value_date" not in columns
        assert conn.execute(sa.text("SELECT entry_id, leg, account, amount, service FROM ledger_posting"
                                    " ORDER BY 1, 2")).all() == before  # fmt: skip
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ledger_posting"))
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT entry_id, leg, account, amount, service FROM ledger_posting"
                                    " ORDER BY 1, 2")).all() == before  # fmt: skip
        assert check_ledger(conn) == []
        assert posting_months(conn) == [date(2025, 11, 1), date(2026, 1, 1)]
        assert default_months(conn) == []
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ledger_posting"))


def test_the_commands_create_ahead_and_check_a_month(tmp_path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from rkc.cli import app

    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    home = tmp_path / "home"
    run = lambda *args: CliRunner().invoke(app, [*args, "--home", str(home)], catch_exceptions=False)  # noqa: E731
    assert run("init").exit_code == 0
    engine = make_engine(db_url)
    _post(engine, ["2026-03-15"])
    result = run("ledger", "partitions", "--ahead", "1")
    assert result.exit_code == 0, result.output
    if engine.dialect.name == "postgresql":
        assert "ledger_part.ledger_posting_2026_03: 2026-03" in result.output
        assert "ledger_part.ledger_posting_default: default, ~0 legs" in result.output
        with engine.begin() as conn:  # a leg of a month without a partition lands in the default
            conn.execute(sa.text("INSERT INTO ledger_posting (entry_id, leg, account, amount, value_date)"
                                 " VALUES (99, 1, 'suspense', 5, '1999-01-05')"))  # fmt: skip
        result = run("ledger", "partitions")
        assert result.exit_code == 1 and "holds legs of 1999-01 (1 legs)" in result.output
    else:
        assert "not partitioned" in result.output
    assert run("ledger", "check", "--month", "2026-03").exit_code == 0
    with engine.begin() as conn, behind_the_ledgers_back(conn):
        conn.execute(sa.text("UPDATE ledger_posting SET amount = amount - 1 WHERE account LIKE 'supplier:%'"))
    engine.dispose()
    result = run("ledger", "check", "--month", "2026-03")
    assert result.exit_code == 1 and "unbalanced_entry: entry 1" in result.output
    assert run("ledger", "check", "--month", "2026-04").exit_code == 0  # another month is not read


@pytest.mark.postgres
def test_the_owner_moves_the_default_partitions_legs_into_their_months(
    pg: sa.Engine, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Legs written into months without a partition (by hand, as the owner) wait in the default;
    ``--adopt-default`` moves them into partitions of their months, whole, and the default is empty,
    the ledger sound, the new partitions append-only and pruned."""
    from typer.testing import CliRunner

    from rkc.cli import app

    _post(pg, ["2031-05-05"])
    with pg.begin() as conn:  # copies of the entry dated in months with no partition: their legs go to the default
        first = conn.execute(sa.text("SELECT MIN(entry_id) FROM ledger_posting")).scalar_one()
        for entry, day in ((900, "1999-01-05"), (901, "1999-03-31")):
            conn.execute(sa.text(
                "INSERT INTO ledger_entry (id, kind, source_key, payment_id, value_date, batch, description)"
                " SELECT :e, kind, source_key || ':' || :e, NULL, :d, batch, 'by hand' FROM ledger_entry WHERE id = :f"
            ), {"e": entry, "d": day, "f": first})  # fmt: skip
            conn.execute(sa.text("INSERT INTO ledger_posting (entry_id, leg, account, amount, service, value_date)"
                                 " SELECT :e, leg, account, amount, service, :d FROM ledger_posting"
                                 " WHERE entry_id = :f"), {"e": entry, "d": day, "f": first})  # fmt: skip
        before = conn.execute(sa.text("SELECT * FROM ledger_posting ORDER BY entry_id, leg")).all()
        legs = conn.execute(sa.text("SELECT COUNT(*) FROM ledger_posting WHERE entry_id = :f"), {"f": first}).scalar()
        assert default_months(conn) == [(date(1999, 1, 1), legs), (date(1999, 3, 1), legs)]
        assert ensure_months(conn, [date(1999, 1, 10)]) == []  # its legs would have to move first
        found = check_ledger(conn)  # the stored balances miss the copies: the same findings after the move
        assert {v.kind for v in found} == {"balance_mismatch"}
    monkeypatch.setenv("RKC_DATABASE_URL", pg.url.render_as_string(hide_password=False))
    home = tmp_path / "home"
    assert CliRunner().invoke(app, ["init", "--home", str(home)]).exit_code == 0
    result = CliRunner().invoke(app, ["ledger", "partitions", "--adopt-default", "--home", str(home)],
                                catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"moved {legs} legs of 1999-01 from the default partition into its own" in result.output
    assert "ledger_part.ledger_posting_1999_03: 1999-03" in result.output
    with pg.connect() as conn:
        assert default_months(conn) == []
        assert conn.execute(sa.text("SELECT * FROM ledger_posting ORDER BY entry_id, leg")).all() == before
        assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {partition_name(date(1999, 3, 1))}")).scalar() == legs
        assert check_ledger(conn) == found
        plan = _plan(conn, "SELECT * FROM ledger_posting WHERE value_date >= :lo AND value_date < :hi",
                     {"lo": date(1999, 1, 1), "hi": date(1999, 2, 1)})  # fmt: skip
        assert partition_name(date(1999, 1, 1)).split(".")[1] in plan and "default" not in plan
    for table in (partition_name(date(1999, 1, 1)), DEFAULT):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), pg.begin() as conn:
            conn.execute(sa.text(f"DELETE FROM {table}"))
    again = CliRunner().invoke(app, ["ledger", "partitions", "--adopt-default", "--home", str(home)])
    assert again.exit_code == 0 and "moved" not in again.output
