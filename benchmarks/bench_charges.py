"""Benchmark: the charges import on PostgreSQL — first import, the same export again, a corrected one.

Usage: .venv/bin/python benchmarks/bench_charges.py [--payments N] [--accounts A] [--url URL]
Generates a center (the 1M-payment center of bench_nightly.py by default: ~345,000 ПД, ~1.2 M
service lines), then times in a scratch database ``rkc_bench_charges``: the first import (every ПД
new), the same file with ``--again`` (every ПД unchanged: no version written), a corrected export
(about every tenth ПД's amounts changed: a version each), and the night's read of the current charges
(``load_charges`` with versions). Targets (docs/PERFORMANCE.md): the first import as before versions.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa


def _corrected(source: Path, target: Path) -> int:
    """``source`` with the amounts of about every tenth ПД's lines changed (a digit added to the
    rubles); returns how many lines were changed."""
    changed = 0
    with source.open("rb") as src, target.open("wb") as out:
        out.write(src.readline())
        for line in src:
            uip = line.split(b";", 1)[0]
            if uip and zlib.crc32(uip) % 10 == 0:
                fields = line.split(b";")
                fields[5] = b"1" + fields[5]
                line = b";".join(fields)
                changed += 1
            out.write(line)
    return changed


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=300_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    admin = sa.create_engine(args.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS rkc_bench_charges WITH (FORCE)"))
        conn.execute(sa.text("CREATE DATABASE rkc_bench_charges"))
    os.environ["RKC_DATABASE_URL"] = args.url.rsplit("/", 1)[0] + "/rkc_bench_charges"
    from rkc.memory import name_arrow_allocator

    name_arrow_allocator()  # as the entry points do, before the imports below load pyarrow
    from rkc.app import import_charges_files
    from rkc.config import init_home, load_config
    from rkc.context import open_database
    from rkc.decide import CHARGE_NEEDS
    from sql.queries import load_charges
    from synthetic import generate

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        init_home(home)
        day = generate(home, accounts=args.accounts, payments=args.payments, seed=1)
        config = load_config(home)
        corrected = Path(tmp) / "corrected.csv"
        print(f"corrected export: {_corrected(day.charges_csv, corrected)} lines changed")
        for label, path, again in (("first import", day.charges_csv, False), ("same export again", day.charges_csv,
                                   True), ("corrected export", corrected, False)):  # fmt: skip
            start = time.perf_counter()
            outcome = import_charges_files(config, path, day.suppliers_csv, again=again)
            print(f"{label}: {time.perf_counter() - start:.1f} s — new {outcome.documents_new}, corrected "
                  f"{outcome.documents_corrected}, unchanged {outcome.documents_unchanged}, lines {outcome.lines}")
        engine = open_database(config)
        for _ in range(2):
            start = time.perf_counter()
            with engine.connect() as conn:
                charges = load_charges(conn, CHARGE_NEEDS, versions=True)
            print(f"load_charges (current versions): {time.perf_counter() - start:.2f} s, {len(charges)} lines")
        engine.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS rkc_bench_charges WITH (FORCE)"))


if __name__ == "__main__":
    main()
