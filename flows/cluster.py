"""The night's per-file and per-register tasks on a Dask cluster (``executor: {kind: dask}`` in
rkc.yaml), through prefect-dask's DaskTaskRunner; the rest of the night stays in the flow's process.

The flow keeps its own thread pool for the whole night: the decision (one task over the whole
night), the tie-out, the resolutions and the report run there, where the run lock is held. Only
``intake`` (one task per file) and ``post_register`` (one per register) are handed to the cluster's
workers, which share the working directory (the same path on every machine) and the PostgreSQL
ledger (docs/OPERATIONS.md «The night on a Dask cluster»). A worker builds the configuration and
its engine inside each task from ``home``, as the flow's threads do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect import Task
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner
from prefect.utilities.callables import get_call_parameters

from rkc.config_executor import Executor

WORKER_SETUP = "flows.dask_worker"  # the preload every worker runs (dask worker --preload flows.dask_worker)
WORKERS_TIMEOUT_SECONDS = 120  # how long the night waits for a first worker to join the scheduler
# Dask's settings while the night's cluster runs. A LocalCluster drops a worker whose process died
# and did not come back within 15 s (Dask's default), for good: on a busy machine a new worker
# process takes longer to start, and a night whose workers all died would then wait for ever. It
# waits 10 minutes instead, and a task that finds no worker for that long fails the night (a
# remote scheduler takes the second setting from its own configuration: docs/OPERATIONS.md).
CLUSTER_SETTINGS = {
    "distributed.deploy.lost-worker-timeout": "600s",
    "distributed.scheduler.no-workers-timeout": "600s",
}


class NoWorkers(RuntimeError):
    """The scheduler has no worker to run the night's tasks."""


def prefect_api_url() -> str | None:
    """The Prefect API this process reports to: ``PREFECT_API_URL``, or the temporary server Prefect
    started for it (None when neither runs yet)."""
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return PREFECT_API_URL.value()
    # Not entered: inside a flow this is the run's own client, which leaving a ``with`` would close.
    return str(get_client(sync_client=True).api_url).rstrip("/")


def local_cluster_options(workers: int) -> dict[str, Any]:
    """The LocalCluster of ``executor: {kind: dask, local_workers: N}`` (the benchmark and the
    tests start the same one), its workers told this process's Prefect API: a worker process that
    does not know it starts a temporary server of its own (~10–25 s each, docs/PERFORMANCE.md
    «Session 15») and records the night's task runs there, out of the flow run's sight."""
    api = prefect_api_url()
    return {
        # One task per worker process at a time: each parser and each posting already uses
        # threads of its own, and a worker's memory is then one register's.
        "n_workers": workers, "processes": True, "threads_per_worker": 1,
        # Loopback only; the scheduler's web page (Dask's dashboard, with bokeh) on a free port.
        "host": "127.0.0.1", "dashboard_address": ":0", "preload": [WORKER_SETUP],
        # No memory limit: the nanny would kill a worker at 95 % of it, and a register's posting
        # killed that way is only tried again elsewhere until Dask gives up on it.
        "memory_limit": 0,
        "env": {"PREFECT_API_URL": api} if api else {},
    }  # fmt: skip


@contextmanager
def night_runner(
    executor: Executor, logger: logging.Logger | logging.LoggerAdapter, needed: bool = True
) -> Iterator[TaskRunner | None]:
    """The Dask task runner of the night's intake and posting, started (and, for a LocalCluster
    of its own, stopped) around them; ``None`` for the local executor (the flow's own runner) and
    when the night has no file (``needed``): no cluster is started for nothing."""
    if not executor.on_cluster or not needed:
        yield None
        return
    import dask  # only a night on a cluster loads Dask
    from prefect_dask import DaskTaskRunner

    if executor.address:
        runner = DaskTaskRunner(address=executor.address)
    else:
        runner = DaskTaskRunner(cluster_class="distributed.LocalCluster",
                                cluster_kwargs=local_cluster_options(executor.local_workers))  # fmt: skip
    with dask.config.set(CLUSTER_SETTINGS), runner:
        client = runner.client  # connects (or starts the LocalCluster) now, before anything is read
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_SECONDS)
        except TimeoutError as exc:
            where = executor.address or "the local cluster"
            start = f"dask worker {where} --nthreads 1 --preload {WORKER_SETUP}"
            waited = WORKERS_TIMEOUT_SECONDS
            raise NoWorkers(f"no Dask worker joined {where} in {waited} s; start them: {start}") from exc
        workers = client.scheduler_info(n_workers=-1)["workers"]
        hosts = sorted({w.get("host", a) for a, w in workers.items()})
        logger.info("Dask cluster at %s: %d workers (%d threads) on %s", client.scheduler.address, len(workers),
                    sum(w.get("nthreads", 1) for w in workers.values()), ", ".join(hosts))  # fmt: skip
        yield runner
        peaks = client.run(peak_rss_mib)
        logger.info("Dask workers' peak memory since they started: %s",
                    ", ".join(f"{address} {mib} MiB" for address, mib in sorted(peaks.items())))  # fmt: skip


def peak_rss_mib() -> int:
    """This process's peak resident memory in MiB (run on every worker by ``night_runner``)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def submit(runner: TaskRunner | None, task: Task, *args: Any) -> PrefectFuture:
    """``task.submit(*args)`` on ``runner``, or on the flow's own runner when ``None``."""
    if runner is None:
        return task.submit(*args)
    return runner.submit(task, get_call_parameters(task.fn, args, {}))


def let_go(futures: list[PrefectFuture]) -> None:
    """On an interrupt: drop the tasks the cluster has not finished. A posting a worker has begun
    goes on to commit or roll back on its own, out of the flow's reach; the run lock fences it off
    (``rkc.runlock``: it checks the lock inside its transaction, and the next run waits for it
    before reading anything), so the flow need not outwait it."""
    for future in futures:
        if not future.wrapped_future.done():
            future.wrapped_future.cancel()
    logging.getLogger("rkc.nightly").warning(
        "Interrupted: the registers still queued on the cluster are dropped; those a worker is posting "
        "commit or roll back on their own, and the next run waits for them")  # fmt: skip
