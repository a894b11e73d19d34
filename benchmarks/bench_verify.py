"""Benchmark: a ledger of ~15,000,000 postings posted register by register with the hash chain,
then `rkc ledger verify` over all of it (the chain, every link, payments without entries).

Usage: .venv/bin/python benchmarks/bench_verify.py [--registers 5] [--payments 1000000] [--url URL]
Creates (and drops) a scratch database ``rkc_bench_verify``. Each register is a channel of its own
with 1,000,000 payments (about 2,900,000 postings: bench_posting's batch).
Targets (docs/PERFORMANCE.md): 1M payments posted with the chain ≤ 20 s; verify over 15M postings ≤ 30 s.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
import yaml

from benchmarks.bench_posting import make_batch
from rkc.config import default_config_text, parse_config
from rkc.verify import verify
from sql.engine import make_engine, migrate
from sql.posting import post_payments
from sql.registers import create_register
from sql.uow import UnitOfWork


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registers", type=int, default=5)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    admin = sa.create_engine(args.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS rkc_bench_verify WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE rkc_bench_verify"))
    url = args.url.rsplit("/", 1)[0] + "/rkc_bench_verify"
    engine = make_engine(url)
    migrate(engine)
    try:
        for n in range(args.registers):
            payments, splits = make_batch(args.payments, seed=n + 1)
            channel = f"bank{n}"
            payments["channel"] = channel
            start = time.perf_counter()
            with UnitOfWork(engine) as uow:
                rid = create_register(uow.conn, file=f"r{n}.txt", sha256=f"{n}".ljust(64, "0"), channel=channel,
                                      fmt="text", run_date=sa.func.current_date())  # fmt: skip
                result = post_payments(uow.conn, rid, payments, splits)
                uow.commit()
            print(f"register {n + 1}: {result.payments_new:,} payments, {result.postings:,} postings posted"
                  f" with the chain in {time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM (ANALYZE) ledger_entry, ledger_posting, payment"))
            postings = conn.execute(sa.text("SELECT COUNT(*) FROM ledger_posting")).scalar()
        with tempfile.TemporaryDirectory() as home:
            config = parse_config(yaml.safe_load(default_config_text()), Path(home))
            start = time.perf_counter()
            result = verify(config, engine)
            elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"verify: {result.entries:,} entries, {postings:,} postings, {result.batches} batches in {elapsed:.1f} s;"
              f" findings {len(result.findings)}; peak RSS of the process {peak:,.0f} MiB")  # fmt: skip
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS rkc_bench_verify WITH (FORCE)"))


if __name__ == "__main__":
    main()
