"""Benchmark: what a test's SQLite database costs, CPU seconds a call: a fresh Alembic migrate to
head, ``sql.engine.migrate`` on a database already at head (every flow and writing command calls
it), and a copy of the migrated file (what ``tests/conftest.py``'s ``db_url`` does).

Usage: .venv/bin/python benchmarks/bench_migrate.py [--calls 10]
Works in a temporary directory; docs/PERFORMANCE.md, "Session 15: the test suite's CPU".
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sql.engine import make_engine, migrate


def _cpu_per_call(step: Callable[[int], None], calls: int) -> float:
    """CPU seconds of this process per call of ``step`` (the load of a shared machine moves wall time)."""
    start = time.process_time()
    for i in range(calls):
        step(i)
    return (time.process_time() - start) / calls


def main() -> None:
    """Time the three ways to a migrated SQLite file and print them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=10)
    calls = parser.parse_args().calls
    work = Path(tempfile.mkdtemp(prefix="rkc-bench-migrate-"))
    template = work / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    migrate(engine)  # also loads Alembic and the scripts, outside the timed calls
    engine.dispose()

    def fresh(i: int) -> None:
        eng = make_engine(f"sqlite:///{work / f'fresh{i}.db'}")
        migrate(eng)
        eng.dispose()

    def at_head(_: int) -> None:
        eng = make_engine(f"sqlite:///{template}")
        migrate(eng)
        eng.dispose()

    def copy(i: int) -> None:
        shutil.copyfile(template, work / f"copy{i}.db")

    print(f"fresh migrate {_cpu_per_call(fresh, calls):.3f} s, migrate at head {_cpu_per_call(at_head, calls):.3f} s,"
          f" file copy {_cpu_per_call(copy, calls):.4f} s (CPU a call, {calls} calls)")  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
