"""The night on a Dask cluster (``executor: {kind: dask}``) on PostgreSQL, with a real
``distributed.LocalCluster`` of two worker processes: the same ledger, bridge and report as the
flow's own thread pool on the same day, and the same again when a worker is killed in the middle
of a register's posting and another right after a commit."""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import dask
import pytest
import sqlalchemy as sa
from distributed import Client, LocalCluster, get_task_stream

from flows.cluster import CLUSTER_SETTINGS, local_cluster_options
from rkc.app import import_charges_files
from rkc.config import init_home, load_config
from rkc.runlock import NotTheRunsDatabase, RunLock, run_lock
from rkc.verify import verify
from sql.engine import make_engine
from sql.ledger_queries import balances, check_ledger
from synthetic import generate
from tests.clusterutil import KillOnce, killed
from tests.dbutil import empty_database

pytestmark = pytest.mark.postgres
PAYMENTS = 2000
NIGHT = date(2026, 11, 20)
OUTCOME_FIELDS = ("channel", "status", "lines", "amount_total", "posted", "suspense", "rejected", "duplicate",
                  "quarantined")  # fmt: skip


@pytest.fixture(scope="module")
def cluster(harness) -> LocalCluster:
    """Two worker processes on loopback, one task at a time each: the LocalCluster a night of
    ``local_workers: 2`` starts, here started by the test to reach it by its address; its workers
    report to the tests' Prefect server."""
    options = local_cluster_options(2)
    with dask.config.set(CLUSTER_SETTINGS), LocalCluster(**options, silence_logs=logging.ERROR) as running:
        yield running


@pytest.fixture
def client(cluster: LocalCluster) -> Client:
    with Client(cluster, set_as_default=False) as connected:
        connected.wait_for_workers(2)
        yield connected


def _home(root: Path, url: str, executor: str | None) -> tuple:
    """A working directory on ``url`` (in rkc.yaml, where every worker reads it) with a generated day."""
    config, _ = init_home(root)
    settings = root / "rkc.yaml"
    text = settings.read_text(encoding="utf-8").replace("database_url: sqlite:///rkc.db", f"database_url: {url}")
    settings.write_text(text + (f"\nexecutor: {executor}\n" if executor else ""), encoding="utf-8")
    day = generate(config.home, accounts=300, payments=PAYMENTS, seed=11)
    import_charges_files(load_config(root), day.charges_csv, day.suppliers_csv)
    return load_config(root), day


def _night(config, day) -> dict:
    from flows.nightly import nightly

    return nightly(home=str(config.home), run_date=day.run_date)


def _state(config, result: dict) -> dict:
    """What a night leaves: the ledger, its check, what is stored, the bridge and every register's outcome."""
    engine = make_engine(config.database_url)
    with engine.connect() as conn:
        count = {t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in
                 ("payment", "ledger_entry", "ledger_posting", "register", "discrepancy", "ledger_batch")}  # fmt: skip
        state = {"balances": balances(conn), "violations": check_ledger(conn), "count": count}
    checked = verify(config, engine)
    engine.dispose()
    summary = json.loads(Path(result["summary"]).read_text(encoding="utf-8"))
    registers = {r["file"]: {k: r[k] for k in OUTCOME_FIELDS} for r in result["registers"]}
    return {**state, "chain": (checked.ok, checked.findings), "totals": summary["totals"], "registers": registers,
            "discrepancies": result["discrepancies"]}  # fmt: skip


@pytest.fixture(scope="module")
def reference(harness, pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The day's night on the flow's own thread pool: what the cluster must leave too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("RKC_DATABASE_URL", raising=False)
        _empty(pg_url)
        config, day = _home(tmp_path_factory.mktemp("reference") / "home", pg_url, None)
        assert not config.executor.on_cluster
        state = _state(config, _night(config, day))
    assert state["totals"]["residual"] == "0.00" and state["violations"] == [] and state["chain"] == (True, [])
    return state


def _task_runs(flow_run_id) -> list[tuple[str, str]]:
    """(task name, state type) of each task run the Prefect server holds for a flow run."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as prefect:
        runs = prefect.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return [(run.name.split(":")[0].rsplit("-", 1)[0], run.state_type.value) for run in runs]


def _empty(url: str) -> None:
    engine = make_engine(url)
    empty_database(engine)
    engine.dispose()


def test_two_workers_leave_the_ledger_the_local_runner_leaves(reference, client, pg_url, tmp_path, monkeypatch):
    monkeypatch.delenv("RKC_DATABASE_URL", raising=False)
    _empty(pg_url)
    config, day = _home(tmp_path / "home", pg_url, f"{{kind: dask, address: '{client.scheduler.address}'}}")
    from flows.nightly import nightly

    with get_task_stream(client) as stream:
        state = nightly(home=str(config.home), run_date=day.run_date, return_state=True)
    result = state.result()
    assert _state(config, result) == reference
    # Every file was read and every register posted by the workers, both of them at work.
    ran = [(t["key"], t["worker"]) for t in stream.data]
    for name in ("intake", "post_register"):
        assert len([k for k, _ in ran if name in str(k)]) == len(reference["registers"]), (name, ran)
    assert len({w for _, w in ran}) == 2
    # ...and recorded on the flow's Prefect server, where the flow run shows them: a worker not told
    # its address started a temporary server of its own and recorded them there.
    recorded = _task_runs(state.state_details.flow_run_id)
    for name in ("intake", "post_register"):
        assert recorded.count((name, "COMPLETED")) == len(reference["registers"]), (name, recorded)

    # Run again: nothing new, no cluster needed. An agent sends a file twice: a duplicate file,
    # this time on a LocalCluster of one worker process that the night starts and stops itself.
    again = _night(config, day)
    assert again["files"] == 0 and again["posted_this_run"] == []
    archived = next((config.archive / day.run_date.isoformat() / "sber").iterdir())
    shutil.copy(archived, config.inbox / "sber" / archived.name)
    settings = config.home / "rkc.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        f"address: '{client.scheduler.address}'", "local_workers: 1"), encoding="utf-8")  # fmt: skip
    assert load_config(config.home).executor.local_workers == 1
    third = _night(config, day)
    assert [s["status"] for s in third["skipped"]] == ["duplicate_file"]
    assert _state(config, third)["balances"] == reference["balances"]


def test_a_worker_killed_while_posting_and_another_after_a_commit(reference, client, pg_url, tmp_path, monkeypatch):
    # The first register to have its rows copied kills its worker before the commit: the server
    # rolls the transaction back when the connection drops, the nanny starts a new worker process
    # and the scheduler hands the task to a worker again, under the same Prefect task run (not a
    # Prefect retry). The first register to be filed away kills its worker after its commit: run
    # again, the task finds the register committed and its file in the archive, records where it
    # is and posts nothing again.
    monkeypatch.delenv("RKC_DATABASE_URL", raising=False)
    _empty(pg_url)
    markers = tmp_path / "killed"
    markers.mkdir()
    config, day = _home(tmp_path / "home", pg_url, f"{{kind: dask, address: '{client.scheduler.address}'}}")
    plugins = [KillOnce(str(markers), "add_discrepancies"), KillOnce(str(markers), "file_away")]
    for plugin in plugins:
        client.register_plugin(plugin)
    try:
        result = _night(config, day)
    finally:
        for plugin in plugins:
            client.unregister_worker_plugin(plugin.name)
    (_, rolled_back), (_, filed) = killed(markers, "add_discrepancies"), killed(markers, "file_away")
    assert _state(config, result) == reference  # nothing posted twice, nothing lost, the chain whole
    # Prefect's record of the night: every task ran once and completed, but a task a worker died in
    # ran once more (Pending, Running, Pending, Running, Completed), under the same task run.
    states = _task_run_states()
    for stage in ("intake", "post_register"):  # one task run per file, whatever it went through
        assert len([n for n in states if n.startswith(f"{stage}: ")]) == len(reference["registers"])
    assert all(s[-1] == "Completed" and s.count("Pending") == s.count("Running") for s in states.values())
    deaths = Counter(f"post_register: {name}" for name in (rolled_back, filed))
    assert {n: s.count("Running") for n, s in states.items() if s.count("Running") > 1} == {
        n: 1 + died for n, died in deaths.items()}
    assert not [p for c in config.channels if (config.inbox / c).is_dir() for p in (config.inbox / c).iterdir()]
    client.wait_for_workers(2)  # the nannies brought both back


def _task_run_states() -> dict[str, list[str]]:
    """The task runs of the latest flow run, each with the names of the states it went through."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as prefect:
        latest = prefect.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)[0]
        runs = prefect.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[latest.id])))
        return {run.name: [s.name for s in prefect.read_task_run_states(run.id)] for run in runs}


def test_a_worker_on_another_database_is_refused(pg_url: str, tmp_path: Path) -> None:
    config, _ = init_home(tmp_path / "home")
    engine = make_engine(pg_url)
    with run_lock(config, engine, NIGHT) as lock:
        elsewhere = RunLock(lock.holder, lock.pid, "rkc on the server started 2026-01-01T00:00:00+00:00")
        with engine.connect() as conn:
            lock.check(conn)
            with pytest.raises(NotTheRunsDatabase, match=r"give every worker the run's rkc\.yaml"):
                elsewhere.check(conn)
    engine.dispose()


def test_the_local_cluster_s_workers_are_told_the_flow_s_prefect_server(harness) -> None:
    # Without it a worker process of a night on Prefect's temporary server started a temporary
    # server of its own (~10–25 s) and recorded the night's task runs there.
    from prefect.settings import PREFECT_API_URL

    assert local_cluster_options(2)["env"] == {"PREFECT_API_URL": PREFECT_API_URL.value()}
