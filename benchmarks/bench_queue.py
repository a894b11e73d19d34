"""Benchmark: the workbench's case queue with 100,000 cases on PostgreSQL, filtered and searched
through the whole application (session check, query, count, page rendered), p95 per query.

Usage: .venv/bin/python benchmarks/bench_queue.py [--cases 100000] [--repeat 30] [--url URL]
Creates (and drops) a scratch database ``rkc_bench_queue``. Target (docs/PERFORMANCE.md and
issue #20): every filtered page ≤ 200 ms at the 95th percentile.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
import sqlalchemy as sa
from fastapi.testclient import TestClient

from domain.codes import Code
from rkc.config import init_home, load_config
from rkc.users import add_user
from rkc.web.app import create_app
from sql.bulk import bulk_insert
from sql.engine import make_engine, migrate
from sql.uow import UnitOfWork

CHANNELS = ["sber", "portal", "gis", "online", "rshb"]
STATUSES = ["open"] * 6 + ["in_work"] * 2 + ["resolved", "accepted", "informational"]


def cases(n: int, today: date) -> pd.DataFrame:
    """``n`` cases spread over codes, channels, statuses, owners, ages and amounts."""
    rng = np.random.default_rng(20)
    codes = [c.value for c in Code]
    first = [today - timedelta(days=int(d)) for d in rng.integers(0, 90, n)]
    return pd.DataFrame({
        "case_key": [f"BENCH:{i}" for i in range(n)], "code": rng.choice(codes, n), "status": rng.choice(STATUSES, n),
        "channel": rng.choice(CHANNELS, n), "payment_id": np.arange(1, n + 1), "discrepancy_id": np.arange(1, n + 1),
        "operation_id": [f"OP{i:09d}" for i in range(n)], "account_raw": [f"{7_000_000 + i}" for i in range(n)],
        "uip": [f"10{i:022d}" for i in range(n)], "payer": [f"Плательщик {i % 5000} Иванович" for i in range(n)],
        "amount": rng.integers(100, 2_000_000, n), "detail": "", "first_seen": first, "last_seen": first,
        "nights": rng.integers(1, 30, n), "owner": rng.choice(["petrova", "smirnov", None], n),
    })  # fmt: skip


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    admin = sa.create_engine(args.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS rkc_bench_queue WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE rkc_bench_queue"))
    url = args.url.rsplit("/", 1)[0] + "/rkc_bench_queue"
    engine = make_engine(url)
    try:
        migrate(engine)
        with tempfile.TemporaryDirectory() as tmp:
            config, _ = init_home(Path(tmp))
            config = load_config(tmp)
            frame = cases(args.cases, config.today())
            started = time.perf_counter()
            with UnitOfWork(engine) as uow:
                bulk_insert(uow.conn, "work_case", frame, list(frame.columns))
                uow.commit()
            with engine.begin() as conn:
                conn.execute(sa.text("ANALYZE work_case"))
            print(f"{args.cases} cases loaded in {time.perf_counter() - started:.1f} s")
            add_user(engine, "bench", "accountant", "bench-password-1")
            client = TestClient(create_app(config, engine), base_url="https://testserver")
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
            client.post("/login", data={"username": "bench", "password": "bench-password-1", "csrf_token": token})
            mid = args.cases // 2
            queries = {
                "queue, page 1": {},
                "queue, page 1000": {"page": 1000},
                "code": {"code": "UNKNOWN_ACCOUNT"},
                "channel + age ≥ 30 d": {"channel": "sber", "age": 30},
                "owner": {"owner": "petrova"},
                "amount 1 000,00–2 000,00": {"min_amount": "1 000,00", "max_amount": "2 000,00"},
                "all filters": {"code": "OVERPAYMENT", "channel": "gis", "owner": "smirnov", "age": 10,
                                "min_amount": "100,00", "max_amount": "10 000,00"},
                "all statuses": {"status": "all"},
                "search ЛС": {"q": f"{7_000_000 + mid}", "status": "all"},
                "search УИП": {"q": f"10{mid:022d}", "status": "all"},
                "search operation id": {"q": f"OP{mid:09d}", "status": "all"},
                "search payer": {"q": "Плательщик 4321", "status": "all"},
            }  # fmt: skip
            print(f"{'query':28} {'found':>7} {'median ms':>10} {'p95 ms':>8}")
            worst = 0.0
            for name, params in queries.items():
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    answer = client.get("/cases", params=params)
                    times.append((time.perf_counter() - t0) * 1000)
                    if answer.status_code != 200:
                        raise SystemExit(f"{name}: HTTP {answer.status_code}")
                found = re.search(r'<span id="total">(\d+)<', answer.text).group(1)
                p95 = float(np.percentile(times, 95))
                worst = max(worst, p95)
                print(f"{name:28} {found:>7} {statistics.median(times):>10.1f} {p95:>8.1f}")
            print(f"worst p95: {worst:.1f} ms (target ≤ 200 ms)")
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS rkc_bench_queue WITH (FORCE)"))
        admin.dispose()


if __name__ == "__main__":
    main()
