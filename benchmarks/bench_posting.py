"""Benchmark: post 1,000,000 payments (about 3,000,000 postings) into PostgreSQL, then replay.

Usage: .venv/bin/python benchmarks/bench_posting.py [--payments N] [--url URL] [--unreserved] [--db NAME]
Creates (and drops) a scratch database ``rkc_bench_posting`` (or ``--db``) on the server of ``--url``. The
payments carry ids reserved beforehand in key order, as the decision step reserves them (timed
apart); ``--unreserved`` lets posting reserve them itself (callers that decided nothing).
Targets (docs/PERFORMANCE.md): first posting ≤ 20 s, replay inserting 0 rows ≤ 10 s.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from sql.engine import make_engine, migrate
from sql.payment_ids import ids_in_key_order, reserve_payment_ids
from sql.posting import post_payments
from sql.registers import create_register
from sql.uow import UnitOfWork

SUPPLIERS = [f"77{i:08d}" for i in range(200)]


def make_batch(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` payments, 90 % split over 1–3 suppliers (about 2 lines on average), 10 % to suspense."""
    rng = np.random.default_rng(seed)
    amount = rng.integers(10_000, 1_000_000, n)
    payments = pd.DataFrame(
        {
            "payment_id": np.arange(n),
            "channel": "sber",
            # Banks' operation ids do not arrive in key order: a register's lines are shuffled.
            "operation_id": pd.Series(rng.permutation(n) + 10_000_000).astype(str),
            "occurrence": 1,
            "line_no": np.arange(n) + 1,
            "raw": "15-03-2026;10-27-38;8625;8625099V;123456;000012345678;ИВАНОВ И И;Г ИПАТОВО;0226;1500,00",
            "paid_date": "2026-03-15",
            "paid_time": "10:27:38",
            "account_raw": "000012345678",
            "account": "12345678",
            "uip": None,
            "els": None,
            "period": "2026-02",
            "amount": amount,
            "commission": 0,
            "payer": "ИВАНОВ И И",
            "address": "Г ИПАТОВО",
            "matched_uip": "U",
            "match_rule": "uip",
        }
    )
    matched = rng.random(n) < 0.9
    splits = random_splits(rng, amount, matched, SUPPLIERS)
    payments.loc[~matched, ["matched_uip", "match_rule"]] = None
    return payments, splits


def random_splits(
    rng: np.random.Generator, amount: np.ndarray, matched: np.ndarray, suppliers: list[str]
) -> pd.DataFrame:
    """Each matched payment split over 1–3 lines of random ``suppliers``, the last line taking the
    kopecks that do not divide evenly; unmatched payments get none (they go to suspense)."""
    lines = np.where(matched, rng.integers(1, 4, len(amount)), 0)
    payment_id = np.repeat(np.arange(len(amount)), lines)
    order = np.arange(len(payment_id)) - np.repeat(np.cumsum(lines) - lines, lines)
    count = np.repeat(lines, lines)
    base = np.repeat(amount, lines) // np.maximum(count, 1)
    last = order == count - 1
    return pd.DataFrame(
        {
            "payment_id": payment_id,
            "supplier_inn": np.array(suppliers)[rng.integers(0, len(suppliers), len(payment_id))],
            "service": np.array(["ЖКУ", "Электроэнергия", "Вода"])[order],
            "amount": np.where(last, np.repeat(amount, lines) - base * (count - 1), base),
        }
    )


def reserve(
    engine: sa.Engine, payments: pd.DataFrame, splits: pd.DataFrame
) -> tuple[float, pd.DataFrame, pd.DataFrame]:
    """The batch with payment ids reserved in key order, as ``rkc.decide`` reserves a register's;
    return (seconds, payments, splits)."""
    start = time.perf_counter()
    with engine.connect() as conn:
        block = reserve_payment_ids(conn, len(payments))
    ids = ids_in_key_order(block, payments)
    splits = splits.assign(payment_id=ids[splits["payment_id"].to_numpy()])  # positions -> ids
    return time.perf_counter() - start, payments.assign(payment_id=ids), splits


def post(
    engine: sa.Engine, payments: pd.DataFrame, splits: pd.DataFrame, name: str, reserved: bool = False
) -> tuple[float, object]:
    """Post one register and return (seconds, result); print the CPU of this process and of the
    server's backend (read from /proc when the server runs on this machine): on a shared machine
    they move far less than the wall time."""
    start, cpu = time.perf_counter(), time.process_time()
    with UnitOfWork(engine) as uow:
        backend = uow.conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        server = _cpu_seconds(backend)
        rid = create_register(
            uow.conn, file=name, sha256=name.ljust(64, "0"), channel="sber", fmt="text",
            run_date=pd.Timestamp("2026-03-16").date(),
        )  # fmt: skip
        result = post_payments(uow.conn, rid, payments, splits, reserved=reserved)
        server = _cpu_seconds(backend) - server if server is not None else float("nan")
        uow.commit()
    print(f"  {name}: CPU of this process {time.process_time() - cpu:.1f} s (all threads), of the server's backend"
          f" {server:.1f} s (its parallel workers not counted); load average {os.getloadavg()[0]:.1f}")
    return time.perf_counter() - start, result


def _cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds of process ``pid`` on this machine, None if it is not here."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def scratch_database(url: str, name: str) -> Iterator[sa.Engine]:
    """An engine on a migrated PostgreSQL database ``name`` made afresh beside ``url``'s; dropped after."""
    admin = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    engine = make_engine(url.rsplit("/", 1)[0] + f"/{name}")
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--unreserved", action="store_true", help="posting reserves the ids itself")
    parser.add_argument("--db", default="rkc_bench_posting", help="scratch database (dropped first and after)")
    args = parser.parse_args()
    with scratch_database(args.url, args.db) as engine:
        payments, splits = make_batch(args.payments)
        reserved = not args.unreserved
        if reserved:
            seconds, payments, splits = reserve(engine, payments, splits)
            print(f"ids reserved in key order (the decision step's share): {seconds:.2f} s")
        first, result = post(engine, payments, splits, "first.txt", reserved)
        with engine.connect() as conn:
            postings = conn.execute(sa.text("SELECT COUNT(*) FROM ledger_posting")).scalar()
        print(f"payments={len(payments):,} splits={len(splits):,} postings={postings:,}")
        print(f"first posting: {first:.1f} s ({result.payments_new:,} payments, {result.postings:,} postings)")
        again, result = post(engine, payments, splits, "replay.txt", reserved)
        print(f"replay: {again:.1f} s ({result.payments_new:,} payments new, {result.payments_known:,} known)")



if __name__ == "__main__":
    main()
