"""Benchmark: the night of N generated payments on PostgreSQL, on the flow's own thread pool and on
a Dask LocalCluster of 1 and 2 worker processes; each stage's time and each process's peak memory.

Usage: .venv/bin/python benchmarks/bench_cluster.py [--payments N] [--accounts A] [--workers 0,1,2]
       [--url URL]
``--workers 0`` is the flow's own thread pool (``executor`` absent), ``N ≥ 1`` a LocalCluster of N
worker processes (the options of ``executor: {kind: dask, local_workers: N}``, started by the
benchmark so that it can ask each worker for its peak RSS; the night reaches it by its address).

The day is generated and its charges imported once, into a template database; each night runs on
a fresh copy of it (``CREATE DATABASE … TEMPLATE``) and a fresh copy of the generated inbox, in a
child process of its own, so that its peak RSS is its own. Stage times come from Prefect's record
of the night's task runs (first start to last end of each task name: intake over every file,
post_register over every register). Creates and drops ``rkc_bench_cluster`` and
``rkc_bench_cluster_tpl``. docs/PERFORMANCE.md «The night on a Dask cluster» has the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
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
os.environ.setdefault("RKC_SIGNING_KEY", "rkc-benchmark-signing-key-0123456789abcdef")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

import sqlalchemy as sa

DB, TEMPLATE = "rkc_bench_cluster", "rkc_bench_cluster_tpl"
STAGES = ("intake", "statements", "decide", "post_register", "gis_cancellations", "tie", "resolutions", "report")


def setup(home: Path, payments: int, accounts: int) -> None:
    """Child: generate the day and import its charges (into the template database), as the nightly
    benchmark does; then the sizes of the files the cluster's workers will read."""
    from bench_nightly import setup as generate_and_import  # beside this file

    from rkc.config import load_config

    generate_and_import(home, payments, accounts)
    inboxes = [home / "inbox" / c for c in load_config(home).channels if (home / "inbox" / c).is_dir()]
    sizes = sorted((p.stat().st_size for inbox in inboxes for p in inbox.iterdir()), reverse=True)
    print(f"files: {len(sizes)}, largest {sizes[0] / 1e6:.1f} MB of {sum(sizes) / 1e6:.1f} MB")


def run(home: Path, workers: int) -> None:
    """Child: one night with ``workers`` Dask worker processes (0: the flow's thread pool)."""
    from datetime import date

    import dask
    from distributed import Client, LocalCluster

    from flows.cluster import CLUSTER_SETTINGS, local_cluster_options, peak_rss_mib
    from flows.nightly import nightly

    run_date = date.fromisoformat((home / "bench-run-date").read_text())
    from prefect import get_client

    # Prefect's temporary server starts here, not in the night, and before the cluster: its workers
    # are told its address (``local_cluster_options``) rather than each starting a server of its own.
    with get_client(sync_client=True) as prefect:
        prefect.api_healthcheck()
    cluster = client = None
    started = time.perf_counter()
    if workers:
        dask.config.set(CLUSTER_SETTINGS)
        cluster = LocalCluster(**local_cluster_options(workers), silence_logs=logging.ERROR)
        client = Client(cluster, set_as_default=False)
        client.wait_for_workers(workers)
        settings = home / "rkc.yaml"
        address = cluster.scheduler_address
        settings.write_text(settings.read_text() + f"\nexecutor: {{kind: dask, address: '{address}'}}\n")
    cluster_start = time.perf_counter() - started
    start = time.perf_counter()
    state = nightly(home=str(home), run_date=run_date, return_state=True)
    elapsed = time.perf_counter() - start
    result = state.result()
    label = f"{workers} Dask worker(s)" if workers else "thread pool"
    print(f"{label}: night {elapsed:.1f} s (Prefect's server and the cluster started before it; the cluster "
          f"took {cluster_start:.1f} s), "
          f"residual {json.loads(Path(result['summary']).read_text())['totals']['residual']}, "
          f"registers {len(result['registers'])}")  # fmt: skip
    stages = _stages(state.state_details.flow_run_id)
    print("  stages: " + ", ".join(f"{name} {wall:.1f} s" for name, (wall, _, _) in stages.items()))
    for name in ("intake", "post_register"):
        if name in stages:
            _, longest, total = stages[name]
            print(f"  {name}: tasks' sum {total:.1f} s, longest {longest[1]:.1f} s ({longest[0]})")
    flow_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS: flow process {flow_peak:.0f} MiB" + ("" if client is None else ", workers " + ", ".join(
        f"{mib:.0f}" for mib in sorted(client.run(peak_rss_mib).values(), reverse=True)) + " MiB"))  # fmt: skip
    if client is not None:
        client.shutdown()  # the scheduler and its workers, before the client lets go
        cluster.close()


def _stages(flow_run_id: object) -> dict[str, tuple[float, tuple[str, float], float]]:
    """Each stage of the night: its wall time (the first of its task runs' start to the last's
    end), its longest task run (name, seconds) and the sum of its task runs' times."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    spans: dict[str, list] = {}
    with get_client(sync_client=True) as prefect:
        runs = prefect.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
        for task_run in runs:
            states = prefect.read_task_run_states(task_run.id)
            began = min(s.timestamp for s in states if s.name == "Running")
            ended = max(s.timestamp for s in states if s.is_final())
            name = task_run.name.split(":")[0].rsplit("-", 1)[0]
            spans.setdefault(name, []).append((began, ended, task_run.name.partition(": ")[2]))
    stages = {}
    for name in (n for n in STAGES if n in spans):
        wall = (max(e for _, e, _ in spans[name]) - min(b for b, _, _ in spans[name])).total_seconds()
        each = [(file, (e - b).total_seconds()) for b, e, file in spans[name]]
        stages[name] = (wall, max(each, key=lambda t: t[1]), sum(t for _, t in each))
    return stages


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=300_000)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--workers", default="0,1,2", help="comma-separated; 0 = the flow's thread pool")
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--phase", choices=["setup", "run"], help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "setup":
        setup(args.home, args.payments, args.accounts)
        return
    if args.phase == "run":
        run(args.home, args.n)
        return
    admin = sa.create_engine(args.url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    base = args.url.rsplit("/", 1)[0]
    _recreate(admin, TEMPLATE)
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template"
        me = [sys.executable, __file__]
        env = {**os.environ, "RKC_DATABASE_URL": f"{base}/{TEMPLATE}", "PREFECT_HOME": str(Path(tmp) / ".prefect")}
        subprocess.run([*me, "--phase", "setup", "--home", str(template), "--payments", str(args.payments),
                        "--accounts", str(args.accounts)], env=env, check=True)  # fmt: skip
        for n in (int(w) for w in args.workers.split(",")):
            home = Path(tmp) / f"night-{n}"
            shutil.copytree(template, home)
            _recreate(admin, DB, template=TEMPLATE)
            # In rkc.yaml, not the environment: every worker reads it there, as on a cluster.
            settings = home / "rkc.yaml"
            settings.write_text(settings.read_text().replace("database_url: sqlite:///rkc.db",
                                                             f"database_url: {base}/{DB}"))  # fmt: skip
            env_run = {k: v for k, v in env.items() if k != "RKC_DATABASE_URL"}
            subprocess.run([*me, "--phase", "run", "--home", str(home), "--n", str(n)], env=env_run, check=True)
            shutil.rmtree(home)
    with admin.connect() as conn:
        for name in (DB, TEMPLATE):
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _recreate(admin: sa.Engine, name: str, template: str | None = None) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")))


if __name__ == "__main__":
    main()
