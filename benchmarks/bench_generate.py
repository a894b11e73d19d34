"""Benchmark the synthetic data generator: 1,000,000 payments over 300,000 accounts.

Run: ``.venv/bin/python benchmarks/bench_generate.py [--payments N] [--accounts N]``. Writes into a
temporary directory, prints the wall time, the peak memory and the size of each file.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, the editable install resolves ``rkc`` as a namespace package without its
# resources (the default configuration): put the checkout first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from synthetic import generate


def main() -> None:
    """Generate one day at scale and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--payments", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=300_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        day = generate(Path(tmp), accounts=args.accounts, payments=args.payments, seed=1)
        took = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"generate(accounts={args.accounts:,}, payments={args.payments:,}): {took:.1f} s, peak RSS {peak:.0f} MB")
        for path in [day.suppliers_csv, day.charges_csv, *day.registers, *day.statements, day.manifest]:
            print(f"  {path.relative_to(day.dir)}: {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
