"""Benchmark: `rkc generate` of N payments, then the nightly flow on PostgreSQL end to end, then the replay.

Usage: .venv/bin/python benchmarks/bench_nightly.py [--payments N] [--accounts A] [--url URL] [--db NAME]
                        [--keep DIR] [--rss-every SECONDS] [--profile FILE]
Creates (and drops) a scratch database ``rkc_bench_nightly`` (or ``--db``). With ``--keep DIR`` the
generated day (its home and a template database ``<db>_setup``) is kept and reused by later runs
with the same ``--keep``; drop ``<db>_setup`` and DIR when done. Each phase runs in a child process of
its own, so that the flow's peak memory (the child's maximum RSS, printed by the child) is the
flow's alone, not the generator's or the charges import's. Prefect's temporary server is a
separate process and not counted.
Targets (docs/PERFORMANCE.md): nightly ≤ 60 s and ≤ 2 GB for 1,000,000 payments; replay ≤ 20 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("RKC_SIGNING_KEY", "rkc-benchmark-signing-key-0123456789abcdef")  # runs sign manifests
# As the CLI does (flows/common.py): the temporary server took 20 s to start here at times, which
# is Prefect's default limit, and one benchmark run died of it.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

STARTED = time.perf_counter()  # the child's start: its imports and the server's start count too

import sqlalchemy as sa  # noqa: E402


def setup(home: Path, payments: int, accounts: int) -> None:
    """Child: generate the day and import its charges."""
    from rkc.memory import name_arrow_allocator

    name_arrow_allocator()  # as the entry points do, before the imports below load pyarrow
    from rkc.app import import_charges_files
    from rkc.config import init_home, load_config
    from synthetic import generate

    init_home(home)
    start = time.perf_counter()
    day = generate(home, accounts=accounts, payments=payments, seed=1)
    print(f"generate: {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    import_charges_files(load_config(home), day.charges_csv, day.suppliers_csv)
    print(f"charges import: {time.perf_counter() - start:.1f} s")
    (home / "bench-run-date").write_text(day.run_date.isoformat())


def sample_rss(every: float) -> None:
    """Child: sample this process's RSS every ``every`` seconds in a thread and print, at exit,
    the peak and the RSS at each whole second (to read against the flow log's step ends)."""
    import atexit
    import threading

    samples: list[tuple[float, int]] = []
    page = os.sysconf("SC_PAGE_SIZE")

    def loop() -> None:
        while True:
            with open("/proc/self/statm") as f:
                samples.append((time.perf_counter() - STARTED, int(f.read().split()[1]) * page))
            time.sleep(every)

    def show() -> None:
        t, peak = max(samples, key=lambda s: s[1])
        print(f"rss: peak {peak / 2**20:.0f} MiB at {t:.1f} s from the child's start")
        by_second: dict[int, int] = {}
        for t, rss in samples:
            by_second[int(t)] = max(by_second.get(int(t), 0), rss)
        print("rss by second (MiB):", " ".join(f"{s}:{r / 2**20:.0f}" for s, r in sorted(by_second.items())))

    threading.Thread(target=loop, daemon=True).start()
    atexit.register(show)


def run(home: Path, label: str) -> None:
    """Child: the nightly flow once, with its time and this process's peak RSS."""
    from datetime import date

    import flows.offline

    # As `rkc run` does: the temporary server boots while the flow's modules are imported (the
    # code of before session 13 has no such call and starts it at the flow's call).
    early = getattr(flows.offline, "start_temporary_server", lambda: None)()
    from flows.nightly import nightly

    if early is not None:
        flows.offline.adopt_temporary_server(early)
    run_date = date.fromisoformat((home / "bench-run-date").read_text())
    start = time.perf_counter()
    result = nightly(home=str(home), run_date=run_date)
    elapsed = time.perf_counter() - start
    whole = time.perf_counter() - STARTED
    print(f"{label}: from the child's start (imports, the server's start, the flow) {whole:.1f} s")
    cpu = os.times()
    print(f"{label}: CPU of the flow's process (user + sys, the server not counted) {cpu.user + cpu.system:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    skipped = [str(s["status"]) for s in result["skipped"]]
    print(f"{label}: {elapsed:.1f} s, peak RSS {peak:.0f} MiB, registers of the night {len(result['registers'])}, "
          f"posted by this run {len(result['posted_this_run'])}, skipped {skipped}")
    print(f"{label} discrepancies: {json.dumps(result['discrepancies'])}")


def replay_files(home: Path) -> None:
    """Drop every archived file of the night into its inbox again."""
    for archived in (home / "archive").glob("*/*"):
        for f in archived.iterdir():
            if not f.name.endswith(".reason.txt"):
                (home / "inbox" / archived.name / f.name).write_bytes(f.read_bytes())


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=300_000)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db", default="rkc_bench_nightly", help="scratch database (dropped first and after)")
    parser.add_argument("--keep", type=Path, help="keep the generated day here (and <db>_setup) and reuse it")
    parser.add_argument("--rss-every", type=float, default=0.0, help="sample the flow's RSS every N seconds")
    parser.add_argument("--profile", type=Path, help="sample the night's CPU and stacks into this file "
                        "(benchmarks/night_profile.py reads it with the output)")
    parser.add_argument("--phase", choices=["setup", "run", "replay"], help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "setup":
        setup(args.home, args.payments, args.accounts)
        return
    if args.phase in ("run", "replay"):
        if args.rss_every:
            sample_rss(args.rss_every)
        if args.profile and args.phase == "run":
            from night_profile import sample

            sample(args.profile, os.environ["RKC_DATABASE_URL"].rsplit("/", 1)[1])
        run(args.home, "nightly" if args.phase == "run" else "replay")
        return
    admin = sa.create_engine(args.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    template = f"{args.db}_setup"
    kept = args.keep is not None and (args.keep / "home" / "bench-run-date").is_file()
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {args.db}" + (f" TEMPLATE {template}" if kept else "")))
    env = {**os.environ, "RKC_DATABASE_URL": args.url.rsplit("/", 1)[0] + f"/{args.db}"}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env["PREFECT_HOME"] = str(home / ".prefect")
        me = [sys.executable, __file__, "--home", str(home), "--rss-every", str(args.rss_every),
              *(["--profile", str(args.profile.resolve())] if args.profile else [])]
        if kept:
            shutil.copytree(args.keep / "home", home, symlinks=True)
            print(f"setup: reused from {args.keep} and {template}")
        else:
            subprocess.run([*me, "--phase", "setup", "--payments", str(args.payments),
                            "--accounts", str(args.accounts)], env=env, check=True)  # fmt: skip
            if args.keep is not None:
                shutil.copytree(home, args.keep / "home", symlinks=True)
                with admin.connect() as conn:
                    conn.execute(sa.text(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)"))
                    conn.execute(sa.text(f"CREATE DATABASE {template} TEMPLATE {args.db}"))
        subprocess.run([*me, "--phase", "run"], env=env, check=True)
        replay_files(home)
        subprocess.run([*me, "--phase", "replay"], env=env, check=True)
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)"))


if __name__ == "__main__":
    main()
