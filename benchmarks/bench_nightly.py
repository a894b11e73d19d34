"""Benchmark: `rkc generate` of N payments, then the nightly flow on PostgreSQL end to end, then the replay.

Usage: .venv/bin/python benchmarks/bench_nightly.py [--payments N] [--accounts A] [--url URL]
Creates (and drops) a scratch database ``rkc_bench_nightly``. Peak memory is this process's
maximum RSS (the flow runs in-process; Prefect's temporary server is a separate process).
Targets (docs/PERFORMANCE.md): nightly ≤ 60 s and ≤ 2 GB for 1,000,000 payments; replay ≤ 20 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import sqlalchemy as sa


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=300_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    admin = sa.create_engine(args.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS rkc_bench_nightly WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE rkc_bench_nightly"))
    os.environ["RKC_DATABASE_URL"] = args.url.rsplit("/", 1)[0] + "/rkc_bench_nightly"
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        os.environ["PREFECT_HOME"] = str(home / ".prefect")
        from rkc.app import import_charges_files
        from rkc.config import init_home, load_config
        from rkc.generator import generate

        config, _ = init_home(home)
        start = time.perf_counter()
        day = generate(home, accounts=args.accounts, payments=args.payments, seed=1)
        print(f"generate: {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        import_charges_files(load_config(home), day.charges_csv, day.suppliers_csv)
        print(f"charges import: {time.perf_counter() - start:.1f} s")
        from flows.nightly import nightly

        start = time.perf_counter()
        result = nightly(home=str(home), run_date=day.run_date)
        print(f"nightly: {time.perf_counter() - start:.1f} s, registers {len(result['registers'])}, "
              f"discrepancies {result['discrepancies']}")  # fmt: skip
        print(f"peak RSS after nightly: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        for channel in config.channels:  # the replay: the same files dropped in again
            archived = home / "archive" / day.run_date.isoformat() / channel
            if archived.is_dir():
                for f in archived.iterdir():
                    if not f.name.endswith(".reason.txt"):
                        (home / "inbox" / channel / f.name).write_bytes(f.read_bytes())
        start = time.perf_counter()
        again = nightly(home=str(home), run_date=day.run_date)
        print(f"replay: {time.perf_counter() - start:.1f} s, posted registers {len(again['registers'])}, "
              f"skipped {[s['status'] for s in again['skipped']]}")  # fmt: skip
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS rkc_bench_nightly WITH (FORCE)"))


if __name__ == "__main__":
    main()
