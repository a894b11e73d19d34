"""Benchmark: the charges import on PostgreSQL — first import, the same export again, a corrected one.

Usage: .venv/bin/python benchmarks/bench_charges.py [--payments N] [--accounts A] [--url URL] [--data DIR]
       [--first-only]
Generates a center (the 1M-payment center of bench_nightly.py by default: ~345,000 ПД, ~1.2 M
service lines; ``--accounts 870000``: ~1,000,000 ПД, ~3.5 M lines, 745 MB), then times in a scratch
database (``--db``, ``rkc_bench_charges`` by default): the first import (every ПД new), the same file with ``--again``
(every ПД unchanged: no version written), a corrected export (about every tenth ПД's amounts
changed: a version each), and the night's read of the current charges (``load_charges`` with
versions). Each import runs in a process of its own, so that its peak RSS is its own: the figures
printed per phase are wall time, that process's CPU time (user + system: the client's share, which
other load on the machine hardly changes) and its peak RSS. ``--data DIR`` keeps the generated
center in DIR and reuses it when run again with the same DIR (generating 1M ПД takes a while).
Targets (docs/PERFORMANCE.md, «Session 13»): 1M ПД imported in ≤ 8 s with ≤ 1 GB peak RSS.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from server_cpu import ServerCpu  # beside this file


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


def _phase(url: str, home: str, charges: str, suppliers: str, again: bool, results: multiprocessing.Queue) -> None:
    """One import in a fresh process (spawned): wall time and this process's peak RSS, with what it did."""
    os.environ["RKC_DATABASE_URL"] = url
    from rkc.memory import name_arrow_allocator, return_memory_promptly

    name_arrow_allocator()  # as the entry points do, before the imports below load pyarrow
    return_memory_promptly()  # as the charges-import flow does
    from rkc.app import import_charges_files
    from rkc.config import load_config

    config = load_config(Path(home))
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    outcome = import_charges_files(config, Path(charges), Path(suppliers), again=again)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime  # this process, not the server
    peak = after.ru_maxrss / 1024  # KiB on Linux
    results.put((wall, cpu, peak, outcome.documents_new, outcome.documents_corrected, outcome.documents_unchanged,
                 outcome.lines, len(outcome.errors)))  # fmt: skip


def _run_phase(url: str, home: Path, charges: Path, suppliers: Path, again: bool) -> tuple:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    child = context.Process(target=_phase, args=(url, str(home), str(charges), str(suppliers), again, results))
    child.start()
    figures = results.get()
    child.join()
    if child.exitcode:
        raise SystemExit(f"the import process failed with exit code {child.exitcode}")
    return figures


def _center(data: Path, accounts: int, payments: int) -> tuple[Path, Path, Path]:
    """The generated center in ``data`` (generated once, then reused): home, charges.csv, suppliers.csv."""
    from rkc.config import init_home
    from synthetic import generate

    home = data / "home"
    charges, suppliers = home / "charges.csv", home / "suppliers.csv"
    stamp = data / f"generated-{accounts}-{payments}"
    if not stamp.exists():
        init_home(home)
        start = time.perf_counter()
        day = generate(home, accounts=accounts, payments=payments, seed=1)
        charges, suppliers = day.charges_csv, day.suppliers_csv
        stamp.write_text(f"{charges}\n{suppliers}\n")
        print(f"generated the center in {time.perf_counter() - start:.0f} s")
    charges, suppliers = (Path(p) for p in stamp.read_text().split())
    return home, charges, suppliers


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=300_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--data", type=Path, help="keep the generated center here and reuse it")
    parser.add_argument("--first-only", action="store_true", help="time the first import only")
    parser.add_argument("--db", default="rkc_bench_charges", help="the scratch database's name (dropped at the end)")
    args = parser.parse_args()
    admin = sa.create_engine(args.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{args.db}"'))
    url = args.url.rsplit("/", 1)[0] + "/" + args.db
    os.environ["RKC_DATABASE_URL"] = url
    from rkc.memory import name_arrow_allocator

    name_arrow_allocator()  # as the entry points do, before the imports below load pyarrow
    from rkc.config import load_config
    from rkc.context import open_database
    from rkc.decide import CHARGE_NEEDS
    from sql.queries import load_charges

    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        # generated in a child: a spawned phase starts as a fork of this process, and Linux keeps
        # the peak RSS across exec, so a parent that had generated 1M ПД (~3 GB) made every
        # phase's ``peak RSS`` that (2,959 MB printed for a ~1.1 GB import, session 15)
        spawn = multiprocessing.get_context("spawn")
        generator = spawn.Process(target=_center, args=(data, args.accounts, args.payments))
        generator.start()
        generator.join()
        if generator.exitcode:
            raise SystemExit(f"generating the center failed (exit code {generator.exitcode})")
        home, charges_csv, suppliers_csv = _center(data, args.accounts, args.payments)
        config = load_config(home)
        corrected = Path(tmp) / "corrected.csv"
        print(f"export: {charges_csv.stat().st_size / 2**20:.0f} MB; corrected export: "
              f"{_corrected(charges_csv, corrected)} lines changed")  # fmt: skip
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for label, path, again in (("first import", charges_csv, False), ("same export again", charges_csv, True),
                                   ("corrected export", corrected, False)):  # fmt: skip
            if args.first_only and label != "first import":
                continue
            with ServerCpu(args.url, args.db) as server:
                wall, cpu, peak, new, fixed, same, lines, rejected = _run_phase(url, home, path, suppliers_csv, again)
            print(f"{label}: wall {wall:.1f} s (client CPU {cpu:.1f} s, server CPU {server.seconds():.1f} s), "
                  f"peak RSS {peak:.0f} MB — new {new}, "
                  f"corrected {fixed}, unchanged {same}, lines {lines}, rejected {rejected}", flush=True)  # fmt: skip
        engine = open_database(config)
        for _ in range(2):
            start = time.perf_counter()
            with engine.connect() as conn:
                charges = load_charges(conn, CHARGE_NEEDS, versions=True)
            print(f"load_charges (current versions): {time.perf_counter() - start:.2f} s, {len(charges)} lines")
        engine.dispose()
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
