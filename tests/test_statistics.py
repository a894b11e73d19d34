"""Statistics refreshed where a night outgrew them (``sql.statistics``): analysed when the rows
changed since the last analysis pass autovacuum's threshold, left to autovacuum below it; and the
night's discrepancies then read by a hash join, not row by row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sql.statistics import analyze_if_outgrown

pytestmark = pytest.mark.postgres


def _insert(engine: sa.Engine, rows: int, day: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO discrepancy (run_date, code, detail, raw) SELECT CAST(:d AS date), 'UNDERPAYMENT', '', ''"
            " FROM generate_series(1, :n)"), {"d": day, "n": rows})  # fmt: skip
        conn.execute(sa.text("SELECT pg_stat_force_next_flush()"))  # the counters seen at once, not within a second


def _analysed(engine: sa.Engine) -> float:
    with engine.connect() as conn:
        return float(conn.execute(sa.text("SELECT reltuples FROM pg_class WHERE relname = 'discrepancy'")).scalar_one())


def test_a_night_past_the_threshold_is_analysed_and_a_small_one_is_not(pg_empty_url: str) -> None:
    from sql.engine import make_engine

    engine = make_engine(pg_empty_url)
    with engine.begin() as conn:  # autovacuum must not analyse the table between a step and its check
        conn.execute(sa.text("ALTER TABLE discrepancy SET (autovacuum_enabled = false)"))
    try:
        _insert(engine, 20_000, "2026-11-19")
        with engine.begin() as conn:
            assert analyze_if_outgrown(conn, "discrepancy") is True
        assert _analysed(engine) == 20_000
        _insert(engine, 1_000, "2026-11-20")  # under 50 + 10 % of 20,000: autovacuum's business
        with engine.begin() as conn:
            assert analyze_if_outgrown(conn, "discrepancy") is False
        assert _analysed(engine) == 20_000
        _insert(engine, 5_000, "2026-11-21")  # 6,000 changed since: past 2,050
        with engine.begin() as conn:
            assert analyze_if_outgrown(conn, "discrepancy") is True
            plan = conn.execute(sa.text(
                "EXPLAIN SELECT d.id, p.amount FROM discrepancy d LEFT JOIN payment p ON p.id = d.payment_id"
                " WHERE d.run_date = '2026-11-21'")).scalars().all()  # fmt: skip
        assert _analysed(engine) == 26_000
        assert any("rows=5000" in line for line in plan)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE discrepancy RESET (autovacuum_enabled)"))
        engine.dispose()


def test_nothing_on_sqlite(tmp_path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        assert analyze_if_outgrown(conn, "discrepancy") is False
