"""Benchmark: the run's discrepancy report and the month's supplier statements.

Usage: .venv/bin/python benchmarks/bench_reports.py [--discrepancies N] [--payments N] [--suppliers N] [--url URL]
The statements part creates (and drops) a scratch database (``--db``, ``rkc_bench_reports``) on the server of
``--url`` and posts the payments with ``sql.posting.post_payments`` (setup, not timed).
Targets (docs/PERFORMANCE.md): run report with 50,000 discrepancies ≤ 5 s; statements for 200
suppliers covering 1,000,000 payments ≤ 30 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from bench_posting import random_splits, scratch_database  # beside this file

from domain.records import Supplier
from reports.run_report import RunReportData, write_run_report
from rkc.statements import write_statements
from sql.charges import upsert_suppliers
from sql.posting import post_payments
from sql.registers import create_register
from sql.uow import UnitOfWork

CODES = ["UNKNOWN_ACCOUNT"] * 6 + ["UNDERPAYMENT", "OVERPAYMENT", "MALFORMED_LINE", "DUPLICATE_PAYMENT"]


def run_report_data(n: int, registers: int = 200, seed: int = 3) -> RunReportData:
    """``n`` discrepancies over ``registers`` registers, 60 % UNKNOWN_ACCOUNT with 1–3 proposals each."""
    rng = np.random.default_rng(seed)
    reg = rng.integers(1, registers + 1, n)
    amount = rng.integers(100, 1_000_000, n)
    disc = pd.DataFrame(
        {
            "code": np.array(CODES)[rng.integers(0, len(CODES), n)],
            "register_id": reg,
            "payment_id": pd.array(np.arange(1, n + 1), dtype="Int64"),
            "channel": "sber",
            "file": pd.Series(reg).map("sber-{:04d}.txt".format),
            "line_no": np.arange(1, n + 1),
            "operation_id": pd.Series(np.arange(n) + 10_000_000).astype(str),
            "paid_date": "2026-03-15",
            "account_raw": pd.Series(rng.integers(1, 10**10, n)).map("{:012d}".format),
            "uip": None,
            "payer": "ИВАНОВ ИВАН ИВАНОВИЧ",
            "address": "Г ИПАТОВО УЛ ЛЕНИНА Д 1 КВ 2",
            "amount": pd.array(amount, dtype="Int64"),
            "detail": "no document for the account",
            "raw": "15-03-2026;10-27-38;8625;8625099V;123456;000012345678;ИВАНОВ ИВАН ИВАНОВИЧ;"
            "Г ИПАТОВО УЛ ЛЕНИНА Д 1 КВ 2;0226;1500,00;1485,00;15,00",
        }
    )
    unknown = disc.loc[disc["code"] == "UNKNOWN_ACCOUNT", "payment_id"].to_numpy(dtype=np.int64)
    per = rng.integers(1, 4, len(unknown))
    pid = np.repeat(unknown, per)
    proposals = pd.DataFrame(
        {
            "payment_id": pid,
            "uip": pd.Series(np.arange(len(pid))).map("U-{:08d}".format),
            "account": pd.Series(rng.integers(1, 10**8, len(pid))).astype(str),
            "period": "2026-02",
            "reason": np.array(["digit", "transposition", "address"])[rng.integers(0, 3, len(pid))],
        }
    )
    ids = np.arange(1, registers + 1)
    zeros = np.zeros(registers, dtype=np.int64)
    totals = disc.groupby("register_id")["amount"].sum().reindex(ids, fill_value=0).to_numpy(dtype=np.int64)
    registers_frame = pd.DataFrame(
        {"register_id": ids, "file": [f"sber-{i:04d}.txt" for i in ids], "channel": "sber", "format": "text",
         "status": "posted", "records": 252, "payments": 250,
         "non_payment_lines": 2, "rejected_lines": 0, "amount_total": totals, "posted": zeros,
         "suspense": totals, "rejected": zeros, "duplicate": zeros, "quarantined": zeros, "residual": zeros}
    )  # fmt: skip
    tieout = pd.DataFrame(
        {"register_id": pd.array(ids, dtype="Int64"), "file": registers_frame["file"], "channel": "sber",
         "payment_order_number": ids.astype(str), "payment_order_date": date(2026, 3, 16), "net_amount": totals,
         "transfer_number": ids.astype(str), "transfer_date": date(2026, 3, 16), "transfer_amount": totals,
         "payer_name": "ПАО СБЕРБАНК", "status": "tied", "rule": "number_date", "difference": zeros}
    )  # fmt: skip
    return RunReportData(date(2026, 3, 16), registers_frame, tieout, disc, proposals)


def payment_batch(n: int, suppliers: list[str], first: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` March payments over three channels and 31 days, 90 % split over 1–3 suppliers."""
    rng = np.random.default_rng(seed)
    amount = rng.integers(10_000, 1_000_000, n)
    day = rng.integers(1, 32, n)
    payments = pd.DataFrame(
        {
            "payment_id": np.arange(n),
            "channel": np.array(["sber", "portal", "gis"])[rng.integers(0, 3, n)],
            "operation_id": pd.Series(np.arange(n) + first).astype(str),
            "occurrence": 1,
            "line_no": np.arange(n) + 1,
            "raw": "15-03-2026;10-27-38;8625;8625099V;123456;000012345678;ИВАНОВ И И;Г ИПАТОВО;0226;1500,00",
            "paid_date": pd.Series(day).map("2026-03-{:02d}".format),
            "paid_time": "10:27:38",
            "account_raw": pd.Series(rng.integers(1, 10**10, n)).map("{:012d}".format),
            "account": "12345678",
            "uip": None,
            "els": None,
            "period": "2026-02",
            "amount": amount,
            "commission": 0,
            "payer": "ИВАНОВ ИВАН ИВАНОВИЧ",
            "address": "Г ИПАТОВО УЛ ЛЕНИНА Д 1 КВ 2",
            "matched_uip": pd.Series(np.arange(n) + first).map("U-{:010d}".format),
            "match_rule": "uip",
        }
    )
    matched = rng.random(n) < 0.9
    splits = random_splits(rng, amount, matched, suppliers)
    payments.loc[~matched, ["matched_uip", "match_rule"]] = None
    return payments, splits


def build_ledger(engine: sa.Engine, payments: int, suppliers: int, chunk: int = 250_000) -> None:
    """Suppliers and ``payments`` posted in registers of ``chunk`` payments (not timed)."""
    inns = [f"77{i:08d}" for i in range(suppliers)]
    with UnitOfWork(engine) as uow:
        upsert_suppliers(uow.conn, [Supplier(inn, f"Поставщик № {i}", "770101001") for i, inn in enumerate(inns)])
        uow.commit()
    for k, first in enumerate(range(0, payments, chunk)):
        batch, splits = payment_batch(min(chunk, payments - first), inns, 10_000_000 + first, seed=k)
        with UnitOfWork(engine) as uow:
            name = f"bench-{k}.txt"
            rid = create_register(uow.conn, file=name, sha256=name.ljust(64, "0"), channel="sber", fmt="text",
                                  run_date=date(2026, 4, 1))  # fmt: skip
            post_payments(uow.conn, rid, batch, splits)
            uow.commit()


def main() -> None:
    """Run both benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--discrepancies", type=int, default=50_000)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--suppliers", type=int, default=200)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--skip-statements", action="store_true")
    parser.add_argument("--db", default="rkc_bench_reports", help="the scratch database's name")
    parser.add_argument("--html-rows", type=int, default=0, help="rows per HTML section (0: all, the worst case)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = run_report_data(args.discrepancies)
        start = time.perf_counter()
        xlsx, html = write_run_report(data, Path(tmp), html_rows=args.html_rows)
        took = time.perf_counter() - start
        print(f"run report: {args.discrepancies:,} discrepancies, {len(data.proposals):,} proposals: {took:.2f} s"
              f" (xlsx {xlsx.stat().st_size / 2**20:.1f} MiB, html {html.stat().st_size / 2**20:.1f} MiB)")  # fmt: skip
    if args.skip_statements:
        return

    with scratch_database(args.url, args.db) as engine:
        start = time.perf_counter()
        build_ledger(engine, args.payments, args.suppliers)
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
            postings = conn.execute(sa.text("SELECT COUNT(*) FROM ledger_posting")).scalar()
        print(f"setup: {args.payments:,} payments, {postings:,} postings in {time.perf_counter() - start:.1f} s")
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            written = write_statements(engine, "2026-03", Path(tmp))
            took = time.perf_counter() - start
            size = sum(p.stat().st_size for p in written) / 2**20
            print(f"statements: {len(written) // 3} suppliers, {len(written)} files ({size:.0f} MiB): {took:.1f} s"
                  f" (load average {os.getloadavg()[0]:.1f})")  # fmt: skip
        rss = [resource.getrusage(who).ru_maxrss / 1024 for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        print(f"peak RSS: {rss[0]:,.0f} MiB this process, {rss[1]:,.0f} MiB its largest worker")



if __name__ == "__main__":
    main()
