"""Benchmark: payouts for 200 suppliers over a month of 1,000,000 payments.

Usage: .venv/bin/python benchmarks/bench_payouts.py [--payments N] [--nights K] [--db sqlite|postgresql] [--url URL]
The month is ``bench_posting``'s batch of payments split over 200 suppliers with valid details and
fee contracts (some by service, some with a monthly minimum or maximum), posted as ``--nights``
registers (not timed), dated 1…K March. Timed: ``rkc.payouts.prepare`` as it runs in production,
after each night (the fee's base counts only the entries posted since the previous preparation;
200 payment orders, the 1CClientBankExchange file and the signed register each day), then on
1 April (March is over: the minimum fees), the same date again (nothing posted) and, with
``--nights 1``, the worst case: a first preparation ever over a month already posted.
Target (docs/PERFORMANCE.md): ≤ 5 s. PostgreSQL uses a scratch database ``rkc_bench_payouts`` on
the server of ``--url`` (dropped after).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from bench_posting import make_batch, post  # the posting benchmark's month, beside this file

from domain.identifiers import bank_account, inn
from domain.records import Supplier
from rkc.config import init_home
from rkc.payouts import prepare
from sql.charges import upsert_suppliers
from sql.engine import make_engine, migrate
from sql.uow import UnitOfWork

BIC = "044525225"


def suppliers(n: int) -> list[Supplier]:
    """``n`` suppliers with valid ИНН and accounts, each with a fee contract (some by service)."""
    out = []
    for i in range(n):
        body = f"78{i:07d}"
        terms = {"fee_percent": str([0, "0.5", "1", "1.5"][i % 4]), "fee_min": 50000 if i % 5 == 0 else 0,
                 "fee_max": 5_000_000 if i % 7 == 0 else None, "fee_services": "Вода=0.3" if i % 3 == 0 else ""}
        out.append(Supplier(body + inn.calc_check_digits(body), f"ООО «Поставщик {i}»", "780101001",
                            bank_account.with_key(f"40702810{i:012d}", BIC), BIC, contract_no=f"{i}/2026", **terms))
    return out  # fmt: skip


def run(engine: sa.Engine, payments: int, nights: int) -> None:
    """Post the month night by night, preparing the payouts after each, then on 1 April."""
    migrate(engine)
    directory = suppliers(200)
    with UnitOfWork(engine) as uow:
        upsert_suppliers(uow.conn, directory)
        uow.commit()
    batch, splits = make_batch(payments)
    rng = np.random.default_rng(3)
    night = rng.integers(0, nights, len(batch))  # the register (night) each payment arrives in
    inns = np.array([s.inn for s in directory])
    splits["supplier_inn"] = inns[rng.integers(0, len(inns), len(splits))]
    daily, posting = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        config, _ = init_home(Path(tmp) / "home")
        for k in range(nights):
            mine = night == k
            part = batch[mine].assign(paid_date=f"2026-03-{k + 1:02d}")
            seconds, _ = post(engine, part, splits[splits["payment_id"].isin(part["payment_id"])], f"night-{k + 1}.txt")
            posting += seconds
            if nights > 1:
                start = time.perf_counter()
                prepare(config, engine, date(2026, 3, k + 1))
                daily.append(time.perf_counter() - start)
        print(f"posted {payments:,} payments in {nights} registers in {posting:.0f} s (not timed)")
        if daily:
            print(f"prepare after each night: max {max(daily):.2f} s, mean {sum(daily) / len(daily):.2f} s, "
                  f"the month's {len(daily)} together {sum(daily):.1f} s")  # fmt: skip
        label = "first ever, over the posted month" if nights == 1 else "1 April"
        for title, day in ((label, date(2026, 4, 1)), ("again, 1 April", date(2026, 4, 1))):
            start = time.perf_counter()
            done = prepare(config, engine, day)
            took = time.perf_counter() - start
            print(f"prepare {title}: {took:.2f} s — {done.payouts} orders, {done.fee_entries} fee entries, "
                  f"{len(done.skipped)} not paid, again={done.again}")  # fmt: skip


def main() -> None:
    """Run the benchmark on the chosen database and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--nights", type=int, default=30, help="registers the month arrives in (1: all at once)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{tmp}/bench.db")
            try:
                run(engine, args.payments, args.nights)
            finally:
                engine.dispose()
        return
    admin = sa.create_engine(args.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS rkc_bench_payouts WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE rkc_bench_payouts"))
    engine = make_engine(args.url.rsplit("/", 1)[0] + "/rkc_bench_payouts")
    try:
        run(engine, args.payments, args.nights)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS rkc_bench_payouts WITH (FORCE)"))


if __name__ == "__main__":
    main()
