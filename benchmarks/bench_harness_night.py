"""Benchmark: what a generated night costs a flow test, CPU seconds: the nightly flow run under
``prefect_test_harness`` (as the tests' ``harness`` fixture runs it), in this process and in the
harness's Prefect server (a subprocess), night by night.

Usage: .venv/bin/python benchmarks/bench_harness_night.py [--nights 4] [--payments 600] [--accounts 150]
The server's settings come from the environment, as the tests' come from tests/conftest.py: run it
once as is and once with ``PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED=false
PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED=false PREFECT_SERVER_EVENTS_STREAM_OUT_ENABLED=false``.
Works in temporary directories on SQLite; docs/PERFORMANCE.md, "Session 16: the test suite's CPU".
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rkc.memory import name_arrow_allocator

name_arrow_allocator()  # an entry point: before anything loads pyarrow

import psutil  # noqa: E402


def _cpu(processes: list[psutil.Process]) -> float:
    """User + system CPU seconds of ``processes`` so far."""
    return sum(p.cpu_times().user + p.cpu_times().system for p in processes)


def main() -> None:
    """Start a harness, then generate and run ``--nights`` nights, printing each one's CPU."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=4)
    parser.add_argument("--payments", type=int, default=600)  # tests/test_flow_nightly.py's day
    parser.add_argument("--accounts", type=int, default=150)
    args = parser.parse_args()
    os.environ.setdefault("RKC_SIGNING_KEY", "rkc-bench-signing-key-0123456789abcdef")
    os.environ.pop("RKC_DATABASE_URL", None)  # each home's own SQLite file

    from prefect.logging.configuration import setup_logging
    from prefect.testing.utilities import prefect_test_harness

    from rkc.app import import_charges_files
    from rkc.config import init_home, load_config
    from synthetic import generate

    setup_logging()
    with prefect_test_harness(server_startup_timeout=120):
        server = psutil.Process().children(recursive=True)
        from flows.nightly import nightly

        print(f"server started: {_cpu(server):.2f} s CPU", flush=True)
        for night in range(1, args.nights + 1):
            home = Path(tempfile.mkdtemp()) / "home"
            config, _ = init_home(home)
            day = generate(config.home, accounts=args.accounts, payments=args.payments, seed=5)
            import_charges_files(load_config(home), day.charges_csv, day.suppliers_csv)
            cpu, served, wall = time.process_time(), _cpu(server), time.perf_counter()
            nightly(home=str(home), run_date=day.run_date)
            print(f"night {night}: this process {time.process_time() - cpu:.2f} s CPU, server "
                  f"{_cpu(server) - served:.2f} s, wall {time.perf_counter() - wall:.1f} s", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
