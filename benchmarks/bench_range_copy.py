"""Benchmark: the server's CPU for one range's unsorted movements read (``sql.statement_spill``).

Runs the ``COPY`` a statements worker runs for one range of suppliers (its query and planner
settings: the legs without their payments' columns, postings joined to entries by merge, a serial
plan; ``--payments``: instead the month's payments as the caller reads them once,
``sql.statement_payments``; ``--hash``: the query before session 18, payments joined by hash on the
server), optionally with planner settings local to the transaction, and prints the backend's user
and system CPU (its /proc stat: this machine's PostgreSQL), the client's CPU and the bytes sent.
The rows are counted, not parsed. For comparing plans of that read on a database built by
``bench_partitions.py --keep``:

    bench_range_copy.py --db rkc_h_x --period 2026-02 [--range 1 --ranges 2] [--payments | --hash] [work_mem=64MB ...]
"""

from __future__ import annotations

import argparse
import os
import time

from sqlalchemy import create_engine, text

from rkc.statements import _ranges, _suppliers
from sql.copy_out import copy_blocks
from sql.planner import planner_settings
from sql.statement_payments import payment_span, payments_sql
from sql.statement_spill import MERGE_SETTINGS, legs_sql, month_entries
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
    parser.add_argument("--payments", action="store_true", help="the month's payments, read once (the caller's)")
    parser.add_argument("settings", nargs="*", help="planner settings name=value for the read")
    args = parser.parse_args()
    base = {"max_parallel_workers_per_gather": "0"} if args.hash else MERGE_SETTINGS
    settings = base | dict(s.split("=", 1) for s in args.settings)
    engine = create_engine(args.url + args.db)
    with engine.connect() as conn, conn.begin():
        bounds = _ranges(_suppliers(conn, args.period), args.ranges)
        after, upto = (None, None) if args.range < 0 else bounds[args.range]
        entries = month_entries(conn, args.period)
        if entries is None:
            raise SystemExit(f"no postings in {args.period}")
        if args.payments:
            span = payment_span(conn, args.period, entries)
            query = payments_sql(span) if span else "SELECT 1 WHERE false"
        elif args.hash:
            query = ranged_movements_sql(args.period, True, after, upto, ordered=False)
        else:
            query = legs_sql(args.period, after, upto, entries[0])
        params = {} if args.payments else range_params(after, upto)
        statement = query.replace("%", "%%").replace(":after", "%(after)s").replace(":upto", "%(upto)s")
        statement = statement if params else query
        pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        with planner_settings(conn, settings):
            cpu, wall, client, sent = _backend_cpu(pid), time.perf_counter(), time.process_time(), 0
            driver = conn.connection.driver_connection
            with (
                driver.cursor() as cursor,  # type: ignore[union-attr]
                cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)", params or None) as copy,
            ):
                for block in copy_blocks(driver, copy, 16 << 20):  # type: ignore[arg-type]
                    sent += len(block)
            cpu, wall = _backend_cpu(pid) - cpu, time.perf_counter() - wall
            client = time.process_time() - client
    engine.dispose()
    what = (
        "the month's payments"
        if args.payments
        else f"range {args.range} of {args.ranges}" + (", payments by hash" if args.hash else ", legs")
    )
    print(f"{what} {args.settings}: server CPU {cpu:.2f} s, client CPU {client:.2f} s, wall {wall:.2f} s,"
          f" {sent:,} bytes")  # fmt: skip


if __name__ == "__main__":
    main()
