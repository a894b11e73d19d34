"""Benchmark: a month's supplier statements and `ledger check` on a ledger of several months.

Usage: .venv/bin/python benchmarks/bench_partitions.py [--month-payments 1000000] [--other-months 5]
       [--other-payments 1000000] [--suppliers 200] [--chunk 1000000] [--url URL] [--code DIR] [--keep]
       [--db NAME] [--load sql|post] [--server-only] [--check-only [--repeat N]]

Creates (and drops, unless ``--keep``) a scratch database ``rkc_bench_partitions``: 200 suppliers,
``--other-months`` months of ``--other-payments`` payments before the month measured (January on),
the month itself (``--month-payments``, ~2.9 postings a payment) and one month after it of
``--other-payments`` (statements of a past month read the months after it for their balances).
Everything is posted with ``sql.posting.post_payments`` in registers of ``--chunk`` payments (the
night's own path: COPY, the chain, the balances); setup is timed apart. Then, timed: the month's
statement data (the three queries), ``write_statements`` for the month (queries and files), the
whole ``check_ledger``, and, where the code has it, ``check_ledger`` of the month alone. The plan
of the month's movements query is printed with the partitions it reads.

``--code DIR`` imports rkc from another checkout (e.g. ``/work/main`` before migration 0027) with
this same script, for a before/after on the same data. Target (issue #22): a month of 30M postings
gives its statements in ≤ 60 s (docs/PERFORMANCE.md, "Session 12: partitions").
"""

from __future__ import annotations

import argparse
import inspect
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_CODE = next((sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--code"), str(_HERE.parent))
sys.path.insert(0, _CODE)
sys.path.insert(1, str(_HERE))

import pandas as pd  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from bench_reports import payment_batch  # noqa: E402  (beside this file)
from server_cpu import ServerCpu  # noqa: E402  (beside this file)

from domain.records import Supplier  # noqa: E402
from rkc.statements import statement_data, write_statements  # noqa: E402
from sql.charges import upsert_suppliers  # noqa: E402
from sql.engine import make_engine, migrate  # noqa: E402
from sql.ledger_queries import check_ledger  # noqa: E402
from sql.posting import post_payments  # noqa: E402
from sql.registers import create_register  # noqa: E402
from sql.reporting import supplier_period_balances  # noqa: E402
from sql.uow import UnitOfWork  # noqa: E402


def post_month(engine: sa.Engine, month: date, payments: int, inns: list[str], chunk: int, first: int) -> int:
    """``payments`` payments dated over ``month`` posted in registers of ``chunk``; returns the next id."""
    for k, start in enumerate(range(0, payments, chunk)):
        n = min(chunk, payments - start)
        batch, splits = payment_batch(n, inns, first, seed=first % 100_000 + k)
        days = pd.to_datetime(batch["paid_date"]).dt.day.clip(upper=28)  # every month has 28 days
        batch["paid_date"] = days.map(lambda d: f"{month:%Y-%m}-{d:02d}")
        with UnitOfWork(engine) as uow:
            name = f"bench-{month:%Y%m}-{k}.txt"
            rid = create_register(uow.conn, file=name, sha256=name.ljust(64, "0")[:64], channel="sber", fmt="text",
                                  run_date=month)  # fmt: skip
            post_payments(uow.conn, rid, batch, splits)
            uow.commit()
        first += n
    return first


def generate_month(engine: sa.Engine, month: date, payments: int, suppliers: int, first: int) -> int:
    """``payments`` payments of ``month`` with their entries and legs written by the server itself
    (``INSERT … SELECT`` over ``generate_series``: no hashes, no chain, the balances added after):
    ~2.9 legs a payment, as ``post_payments`` would write them: the days one after another in id order
    (a night's register a day) and the legs in (entry, leg) order; returns the next id."""
    with engine.begin() as conn:
        dated = "value_date" in {r[0] for r in conn.execute(sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'ledger_posting'"))}  # fmt: skip
        if dated:
            conn.execute(sa.text("SELECT rkc_posting_partition(:d)"), {"d": month})
        rid = create_register(conn, file=f"gen-{month:%Y%m}.txt", sha256=f"gen{month:%Y%m}".ljust(64, "0"),
                              channel="sber", fmt="text", run_date=month)  # fmt: skip
        base = {"n": payments, "id0": first - 1, "month": month, "rid": rid, "suppliers": suppliers}
        conn.execute(sa.text(
            "INSERT INTO payment (id, register_id, channel, operation_id, occurrence, line_no, paid_date, paid_time,"
            " account_raw, account, period, amount, commission, payer, address, matched_uip, match_rule)"
            " SELECT :id0 + g, :rid, 'sber', (:id0 + g)::text, 1, g,"
            " CAST(:month AS date) + CAST((g - 1) * 28 / :n AS integer), '10:27:38',"
            " lpad((g * 7919 % 10000000000)::text, 12, '0'), '12345678', '2026-02', 10000 + g * 7919 % 990000, 0,"
            " 'ИВАНОВ ИВАН ИВАНОВИЧ', 'Г ИПАТОВО УЛ ЛЕНИНА Д 1 КВ 2',"
            " CASE WHEN g % 10 <> 0 THEN 'U-' || lpad((:id0 + g)::text, 10, '0') END,"
            " CASE WHEN g % 10 <> 0 THEN 'uip' END FROM generate_series(CAST(1 AS bigint), :n) g"), base)  # fmt: skip
        conn.execute(sa.text(
            "INSERT INTO ledger_entry (id, kind, source_key, payment_id, value_date, batch, description)"
            " SELECT :id0 + g, 'payment', 'payment:sber:' || (:id0 + g) || ':' || 1, :id0 + g,"
            " CAST(:month AS date) + CAST((g - 1) * 28 / :n AS integer), 'gen-' || CAST(:month AS text), ''"
            " FROM generate_series(CAST(1 AS bigint), :n) g"), base)  # fmt: skip
        day = "CAST(:month AS date) + CAST((g - 1) * 28 / :n AS integer)"
        date_col, date_val = (", value_date", f", {day}") if dated else ("", "")
        conn.execute(sa.text(
            f"INSERT INTO ledger_posting (entry_id, leg, account, amount, service{date_col})"
            f" WITH p AS (SELECT g, 10000 + g * 7919 % 990000 AS amount, 1 + g % 3 AS k"
            f" FROM generate_series(CAST(1 AS bigint), :n) g)"
            f" SELECT :id0 + g, 1, 'agent:sber', amount, NULL{date_val} FROM p"
            f" UNION ALL SELECT :id0 + g, 2, 'suspense', -amount, NULL{date_val} FROM p WHERE g % 10 = 0"
            f" UNION ALL SELECT :id0 + g, 1 + j, 'supplier:77' || lpad(((g * 31 + j * 17) % :suppliers)::text, 8, '0'),"
            f" -(CASE WHEN j < k THEN amount / k ELSE amount - (k - 1) * (amount / k) END), 'ЖКУ'{date_val}"
            f" FROM p CROSS JOIN LATERAL generate_series(1, p.k) j WHERE g % 10 <> 0 ORDER BY 1, 2"), base)  # fmt: skip
    return first + payments


def add_balances(engine: sa.Engine) -> None:
    """The running balances of the generated legs (``post_payments`` keeps them as it posts)."""
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ledger_balance"))
        conn.execute(sa.text("INSERT INTO ledger_balance (account, balance)"
                             " SELECT account, SUM(amount) FROM ledger_posting GROUP BY account"))  # fmt: skip


def movements_query(period: str) -> str:
    """The text of ``supplier_movements``'s query for ``period`` (this checkout's or another's)."""
    import sql.reporting as reporting

    captured: list[str] = []

    def capture(_conn, query, _strings):  # type: ignore[no-untyped-def]
        captured.append(query)
        raise LookupError

    original, reporting.read_text_frame = reporting.read_text_frame, capture
    try:
        reporting.supplier_movements(None, period)  # type: ignore[arg-type]
    except LookupError:
        pass
    finally:
        reporting.read_text_frame = original
    return captured[0]


def _cpu_seconds() -> tuple[float, float]:
    """User and system CPU of this process and of its finished children (the workers), in seconds."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return usage[0].ru_utime + usage[0].ru_stime, usage[1].ru_utime + usage[1].ru_stime


def timed(label: str, action):  # type: ignore[no-untyped-def]
    """Run ``action``, print how long it took, return its result."""
    start = time.perf_counter()
    result = action()
    print(f"{label}: {time.perf_counter() - start:.1f} s", flush=True)
    return result


def time_checks(conn: sa.Connection, month: date, period: str, repeat: int) -> None:
    """Time ``check_ledger`` of ``month`` alone (where the code has it) and of the whole ledger."""
    for _ in range(repeat):
        if "months" in inspect.signature(check_ledger).parameters:
            found = timed(f"ledger check of {period} alone", lambda: check_ledger(conn, [month]))
            print(f"  {len(found)} violations", flush=True)
            conn.rollback()
        found = timed("ledger check, whole ledger", lambda: check_ledger(conn))
        print(f"  {len(found)} violations", flush=True)
        conn.rollback()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


def main() -> None:
    """Build the ledger, run the timed steps and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month-payments", type=int, default=1_000_000)
    parser.add_argument("--other-months", type=int, default=5)
    parser.add_argument("--other-payments", type=int, default=1_000_000)
    parser.add_argument("--suppliers", type=int, default=200)
    parser.add_argument("--chunk", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--code", default=str(_HERE.parent), help="the checkout whose rkc is measured")
    parser.add_argument("--keep", action="store_true", help="keep the database (and reuse it if it exists)")
    parser.add_argument("--db", default="rkc_bench_partitions", help="the scratch database's name")
    parser.add_argument("--load", choices=("sql", "post"), default="sql",
                        help="sql: rows generated by the server (fast, no hashes); post: post_payments")  # fmt: skip
    parser.add_argument("--server-only", action="store_true",
                        help="time the month's balances and its movements counted on the server, no files: the"
                             " renderer holds a month's movements in memory (~10 GB at 30M postings)")  # fmt: skip
    parser.add_argument("--skip-check", action="store_true", help="no `ledger check`")
    parser.add_argument("--files-only", action="store_true",
                        help="time `write_statements` alone (queries and files) on the database as it is: no"
                             " whole-month statement data, no `ledger check`; with --keep, rerun it at will")
    parser.add_argument("--out", help="write the statements there and keep them (default: a temporary directory)")

    parser.add_argument("--check-only", action="store_true",
                        help="time only `ledger check` (the month alone, then the whole ledger): with --keep, to"
                             " rerun it on the same database, e.g. with --code of another checkout")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=1, help="time each check this many times (--check-only)")
    args = parser.parse_args()
    db = args.db
    print(f"code: {_CODE}", flush=True)
    admin = sa.create_engine(args.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": db}).scalar()
        if not (args.keep and exists):
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {db}"))
    engine = make_engine(args.url.rsplit("/", 1)[0] + f"/{db}")
    month = date(2026, args.other_months + 1, 1)
    period = f"{month:%Y-%m}"
    try:
        if not (args.keep and exists):
            migrate(engine)
            start = time.perf_counter()
            inns = [f"77{i:08d}" for i in range(args.suppliers)]
            with UnitOfWork(engine) as uow:
                suppliers = [Supplier(inn, f"Поставщик № {i}", "770101001") for i, inn in enumerate(inns)]
                upsert_suppliers(uow.conn, suppliers)
                uow.commit()
            first = 10_000_000
            months = [(date(2026, m, 1), args.other_payments) for m in range(1, args.other_months + 1)]
            months += [(month, args.month_payments), (date(2026, args.other_months + 2, 1), args.other_payments)]
            for when, n in months:
                if args.load == "sql":
                    first = generate_month(engine, when, n, args.suppliers, first)
                else:
                    first = post_month(engine, when, n, inns, args.chunk, first)
                print(f"  {when:%Y-%m}: {n:,} payments ({time.perf_counter() - start:.0f} s)", flush=True)
            if args.load == "sql":
                add_balances(engine)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM (ANALYZE)"))
            print(f"setup: {time.perf_counter() - start:.1f} s", flush=True)
        with engine.connect() as conn:
            total = conn.execute(sa.text("SELECT COUNT(*) FROM ledger_posting")).scalar()
            print(f"ledger: {total:,} postings", flush=True)
            columns = {r[0] for r in conn.execute(sa.text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'ledger_posting'"))}  # fmt: skip
            where = f"e.value_date >= '{period}-01' AND e.value_date < '{date(2026, month.month + 1, 1)}'"
            if "value_date" in columns:
                where += f" AND p.value_date >= '{period}-01' AND p.value_date < '{date(2026, month.month + 1, 1)}'"
                in_month = conn.execute(sa.text(f"SELECT COUNT(*) FROM ledger_posting p WHERE {where[where.index('p.'):]}")).scalar()  # noqa: E501
                print(f"the month {period}: {in_month:,} postings", flush=True)
            if args.check_only:
                time_checks(conn, month, period, args.repeat)
                return
            plan = conn.execute(sa.text(
                "EXPLAIN SELECT p.entry_id FROM ledger_posting p JOIN ledger_entry e ON e.id = p.entry_id"
                f" WHERE p.account LIKE 'supplier:%' AND {where}")).scalars().all()  # fmt: skip
            print("plan of the movements' join:\n  " + "\n  ".join(plan), flush=True)
            if args.files_only:
                pass
            elif args.server_only:
                query = movements_query(period)
                counted = timed(f"movements of {period} joined and counted on the server",
                                lambda: conn.execute(sa.text(f"SELECT COUNT(*) FROM ({query}) m")).scalar())
                print(f"  {counted:,} supplier movements", flush=True)
            else:
                data = timed(f"statement data of {period} (queries)", lambda: statement_data(conn, period))
                print(f"  {len(data.moves):,} supplier movements, {len(data.balances)} balances", flush=True)
                del data
            if not args.files_only:
                balances = timed(f"balances of {period}", lambda: supplier_period_balances(conn, period))
                print(f"  {len(balances)} balances", flush=True)
            if args.skip_check or args.files_only:
                pass
            elif "months" in inspect.signature(check_ledger).parameters:
                found = timed(f"ledger check of {period} alone", lambda: check_ledger(conn, [month]))
                print(f"  {len(found)} violations", flush=True)
            if not (args.skip_check or args.files_only):
                found = timed("ledger check, whole ledger", lambda: check_ledger(conn))
                print(f"  {len(found)} violations", flush=True)
        if args.server_only:
            return
        with tempfile.TemporaryDirectory(dir=args.out and Path(args.out).parent) as tmp:
            out = Path(args.out) if args.out else Path(tmp)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            load = os.getloadavg()[0]
            cpu = _cpu_seconds()
            with ServerCpu(args.url, db) as server:
                written = timed(f"statements of {period} (rkc statements: queries and files)",
                                lambda: write_statements(engine, period, out))  # fmt: skip
            mine, theirs = (after - at for after, at in zip(_cpu_seconds(), cpu, strict=True))
            size = sum(p.stat().st_size for p in written) / 2**20
            print(f"  {len(written)} files, {size:,.0f} MiB; load average {load:.1f} before, "
                  f"{os.getloadavg()[0]:.1f} after", flush=True)  # fmt: skip
            print(f"  CPU: {mine + theirs:.1f} s in Python (this process {mine:.1f} s, its workers {theirs:.1f} s),"
                  f" {server.seconds():.1f} s in the server's backends", flush=True)  # fmt: skip
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak RSS of the process: {peak:,.0f} MiB ({before:,.0f} MiB before the statements);"
              f" of its largest worker process: {children:,.0f} MiB", flush=True)
    finally:
        engine.dispose()
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))


if __name__ == "__main__":
    main()
