"""Benchmark: the server's CPU for one range's unsorted movements read (``sql.statement_spill``).

Runs the ``COPY`` a statements worker runs for one range of suppliers (its query and planner
settings: payments joined by merge, a serial plan; ``--hash``: the query before session 18, the
payments joined by hash), optionally with planner settings local to the transaction, and prints the
backend's user and system CPU (its /proc stat: this machine's PostgreSQL) and the bytes sent. The
rows are counted, not parsed, so the figure is the server's alone. For comparing plans of that
read on a database built by ``bench_partitions.py --keep``:

    bench_range_copy.py --db rkc_h_x --period 2026-02 [--range 1 --ranges 2] [--hash] [work_mem=64MB ...]
"""

from __future__ import annotations

import argparse
import os
import time

from sqlalchemy import create_engine, text

from rkc.statements import _ranges, _suppliers
from sql.planner import planner_settings
from sql.statement_spill import MERGE_SETTINGS, month_bounds, payment_ordered_sql
from sql.statement_stream import range_params, ranged_movements_sql


def _backend_cpu(pid: int) -> float:
    """User and system CPU seconds of the server process ``pid``."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    """Parse the arguments, run the range's COPY once, print its server CPU, wall and bytes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    parser.add_argument("--db", required=True)
    parser.add_argument("--period", required=True)
    parser.add_argument("--ranges", type=int, default=2, help="ranges the month is cut into (workers)")
    parser.add_argument("--range", type=int, default=0, help="which range to read; -1: the whole month")
    parser.add_argument("--hash", action="store_true", help="the payments joined by hash (before session 18)")
    parser.add_argument("settings", nargs="*", help="planner settings name=value for the read")
    args = parser.parse_args()
    base = {"max_parallel_workers_per_gather": "0"} if args.hash else MERGE_SETTINGS
    settings = base | dict(s.split("=", 1) for s in args.settings)
    engine = create_engine(args.url + args.db)
    with engine.connect() as conn, conn.begin():
        bounds = _ranges(_suppliers(conn, args.period), args.ranges)
        after, upto = (None, None) if args.range < 0 else bounds[args.range]
        if args.hash:
            query = ranged_movements_sql(args.period, True, after, upto, ordered=False)
        else:
            entries, first_payment = month_bounds(conn, args.period)
            if entries is None:
                raise SystemExit(f"no postings in {args.period}")
            query = payment_ordered_sql(args.period, after, upto, entries[0], first_payment)
        params = range_params(after, upto)
        statement = query.replace("%", "%%").replace(":after", "%(after)s").replace(":upto", "%(upto)s")
        pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        with planner_settings(conn, settings):
            cpu, wall, sent = _backend_cpu(pid), time.perf_counter(), 0
            with (
                conn.connection.driver_connection.cursor() as cursor,  # type: ignore[union-attr]
                cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)", params or None) as copy,
            ):
                for block in copy:
                    sent += len(block)
            cpu, wall = _backend_cpu(pid) - cpu, time.perf_counter() - wall
    engine.dispose()
    join = "hash" if args.hash else "merge"
    print(f"range {args.range} of {args.ranges}, payments by {join} {args.settings}:"
          f" server CPU {cpu:.2f} s, wall {wall:.2f} s, {sent:,} bytes")  # fmt: skip


if __name__ == "__main__":
    main()
