"""The planner's statistics brought up to date where a night outgrew them (PostgreSQL).

A night adds its rows to a table in minutes; autovacuum analyses the table up to a minute later,
after the report has read it. Until then a first big night's discrepancies look like a few rows to
the planner, which joins them to their payments row by row instead of by a hash join
(docs/PERFORMANCE.md «Session 17»).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from sql.engine import is_postgres

# PostgreSQL's defaults for when autovacuum analyses a table: rows changed since the last analysis
# above 50 + 10 % of its rows (autovacuum_analyze_threshold, autovacuum_analyze_scale_factor).
AUTOVACUUM_BASE, AUTOVACUUM_SHARE = 50, 0.1
_CHANGED = text(
    "SELECT s.n_mod_since_analyze, greatest(c.reltuples, 0) FROM pg_stat_user_tables s"
    " JOIN pg_class c ON c.oid = s.relid WHERE s.relid = CAST(:table AS regclass)"
)


def analyze_if_outgrown(conn: Connection, table: str) -> bool:
    """ANALYZE ``table`` now if autovacuum would (its rows changed since its last analysis are
    past autovacuum's threshold), so that the reads that follow are planned on its new size; return
    whether it did. A night small beside its table leaves the statistics to autovacuum (an analysis
    samples pages across the whole table). SQLite: nothing."""
    if not is_postgres(conn):
        return False
    row = conn.execute(_CHANGED, {"table": table}).first()
    if row is None or row[0] <= AUTOVACUUM_BASE + AUTOVACUUM_SHARE * row[1]:
        return False
    conn.execute(text(f"ANALYZE {conn.dialect.identifier_preparer.quote(table)}"))
    return True
