"""The nightly run: inbox → intake → decisions → posting per register → tie-out → resolutions →
report and summary. Tasks pass paths and small dicts; the work is in ``rkc.*``."""

from __future__ import annotations

import json
import time
from datetime import date
from functools import partial
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from domain.statuses import COMMITTED
from flows.cluster import let_go, night_runner, submit
from flows.common import config_and_engine, retry_on_io, run_logger
from flows.interrupts import finish_started, settle
from flows.night_artifacts import publish_artifacts
from rkc.accepted_registers import return_accepted
from rkc.bank_statements import StatementsRead
from rkc.commit import commit_register
from rkc.decide import decide_night
from rkc.direct import read_direct_night
from rkc.filing import repair_filing
from rkc.gis_cancel import apply_cancellations, set_cancellations_aside
from rkc.inbox import log_listed, quarantine_strays, scan_inbox
from rkc.intake import PARSED, Intake, copies_of_refused, costliest_first, set_copies_aside, take_in
from rkc.intake_totals import attach_totals
from rkc.manifest import load_signing_key, write_night_manifest
from rkc.memory import libraries_out_of_the_collector, release_memory, return_memory_promptly
from rkc.night_plan import NightPlan
from rkc.report import night_outcomes, write_report_and_cases
from rkc.resolve import apply_resolutions
from rkc.runlock import RunLock, run_lock
from rkc.summary import (
    discrepancy_counts,
    methods_of_night,
    render_methods,
    write_summary,
)
from rkc.tie import tie_out
from sql.engine import is_postgres, migrate


def _by_file() -> str:
    """A file task's run name: the task and the file it works on («intake: reestr_01.txt»)."""
    from prefect.runtime import task_run

    params = task_run.parameters
    path = params.get("path") or (params.get("intake_") or {}).get("path") or ""
    return f"{task_run.task_name}: {Path(path).name}"


@task(retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_io, task_run_name=_by_file)
def intake(
    home: str, channel: str, path: str, work_dir: str, totals: str | None = None, lock: dict | None = None
) -> dict:
    """Identify and parse one file into the work directory (with its totals file, if paired); on a
    Dask worker, first that the run still holds its lock on this worker's database (``lock``)."""
    config, engine = config_and_engine(home)
    started = time.perf_counter()
    try:
        if lock is not None:
            RunLock.from_dict(lock).check_still_held(engine)  # a worker on another database reads nothing
        result = take_in(config, engine, channel, Path(path), Path(work_dir))
        if totals:
            result = attach_totals(config, result, Path(totals))
        run_logger().info("%s (%s): %s %s, %d lines, %.1f s", result.name, channel, result.status, result.format,
                              result.lines, time.perf_counter() - started)  # fmt: skip
        return result.to_dict()
    finally:
        engine.dispose()
        release_memory()  # this step's peak must not add to the next one's


@task
def decide(home: str, intakes: list[dict], work_dir: str, run_date: date | None = None) -> dict:
    """Decide every payment of the night (no ledger writes)."""
    config, engine = config_and_engine(home)
    try:
        intakes_ = [Intake.from_dict(i) for i in intakes]
        return decide_night(config, engine, intakes_, Path(work_dir), run_date).to_dict()
    finally:
        engine.dispose()
        release_memory()  # this step's peak must not add to the next one's


@task(retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_io, task_run_name=_by_file)
def post_register(home: str, intake_: dict, plan: dict | None, run_date: date, lock: dict | None = None) -> dict:
    """Post one register in one transaction and file it away, if the run still holds the run lock."""
    config, engine = config_and_engine(home)
    started = time.perf_counter()
    try:
        held = RunLock.from_dict(lock) if lock is not None else None
        if held is not None:
            held.check_still_held(engine)  # RunLockLost: this run posts nothing more
        night = NightPlan.from_dict(plan) if plan else None
        register = Intake.from_dict(intake_)
        # Checked again inside the register's transaction: a Dask worker may outlive its run.
        guard = partial(held.hold_for_posting, channel=register.channel) if held is not None else None
        outcome = commit_register(config, engine, register, night, run_date, guard)
        run_logger().info("%s (%s): %s, %d lines, %.1f s", outcome.file, outcome.channel, outcome.status,
                              outcome.lines, time.perf_counter() - started)  # fmt: skip
        return outcome.to_dict()
    finally:
        engine.dispose()
        release_memory()  # this step's peak must not add to the next one's


@task(retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_io)
def statements(home: str, run_date: date, work_dir: str) -> dict:
    """Read the night's bank statements before its decisions: their payers' own п/п are payments
    (``rkc.direct``), one register per statement."""
    config, engine = config_and_engine(home)
    try:
        return read_direct_night(config, engine, run_date, Path(work_dir)).to_dict()
    finally:
        engine.dispose()


@task(retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_io)
def tie(home: str, run_date: date, earlier: dict | None = None) -> dict:
    """Read bank statements (those come since ``statements``) and tie registers to their п/п."""
    config, engine = config_and_engine(home)
    try:
        read = StatementsRead.from_dict(earlier) if earlier else None
        return tie_out(config, engine, run_date, read).to_dict()
    finally:
        engine.dispose()


@task
def gis_cancellations(home: str, run_date: date, files: list[tuple[str, str]]) -> dict:
    """Apply the ГИС ЖКХ cancellations read tonight and those held from earlier nights."""
    config, engine = config_and_engine(home)
    try:
        return apply_cancellations(config, engine, run_date, [(c, Path(f)) for c, f in files]).to_dict()
    finally:
        engine.dispose()


@task
def resolutions(home: str, run_date: date) -> dict:
    """Apply the accountants' resolution workbooks."""
    config, engine = config_and_engine(home)
    try:
        return apply_resolutions(config, engine, run_date).to_dict()
    finally:
        engine.dispose()


@task
def report(home: str, run_date: date, work_dir: str, extra: dict) -> dict:
    """Write the night's discrepancy report and run summary (which checks the bridge closes).

    They cover every register of the night, whichever run of it posted them: a rerun that finds
    nothing new, or finishes the work of a run that died, rewrites them whole."""
    config, engine = config_and_engine(home)
    try:
        out_dir = config.out / run_date.isoformat()
        registers, refused = night_outcomes(engine, run_date)
        methods = methods_of_night(engine, run_date)
        files, cases_opened = write_report_and_cases(config, engine, run_date, registers, Path(work_dir),
                                                     inbox=extra.get("inbox"), methods=methods)  # fmt: skip
        cases = cases_opened.to_dict()  # the workbench's queue follows the night
        counts = discrepancy_counts(engine, run_date)
        bad_files = [{k: r[k] for k in ("file", "sha256", "channel", "reason", "stored_path")} for r in refused]
        by_method = render_methods(methods)
        summary = write_summary(out_dir, run_date, registers, counts, {**extra, "bad_files": bad_files,
                                                                        "report": files, "cases": cases,
                                                                        "by_method": by_method})  # fmt: skip
        totals = json.loads(summary.read_text(encoding="utf-8"))["totals"]
        manifest = write_night_manifest(config, engine, run_date, [summary, *map(Path, files.values())], totals)
        return {"summary": str(summary), **files, "manifest": str(manifest), "discrepancies": counts,
                "registers": registers, "cases": cases, "by_method": by_method}  # fmt: skip
    finally:
        engine.dispose()
        release_memory()  # this step's peak must not add to the next one's


@flow(name="nightly", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=True)
def nightly(home: str | None = None, run_date: date | None = None) -> dict:
    """Reconcile one night: every register in the inboxes, the bank statement, the resolutions."""
    logger = get_run_logger()
    return_memory_promptly()
    config, engine = config_and_engine(home)
    home = str(config.home)
    run_date = run_date or config.today()  # the center's date, not the worker's
    load_signing_key(config, logger)  # SigningKeyMissing: refused before anything is read or locked
    migrate(engine)
    with run_lock(config, engine, run_date, logger) as lock, libraries_out_of_the_collector():
        work_dir = str(config.home / "work" / run_date.isoformat())
        # Before the inbox is read: a copy of a file that an earlier run filed away but died before
        # recording must be a duplicate, not taken for the original.
        repair_filing(config, engine)
        return_accepted(config, engine)  # registers accepted in the workbench: read again tonight
        scan = scan_inbox(config)
        listed = [*quarantine_strays(config, engine, scan, run_date, logger), *scan.listed]  # nothing left unnamed
        log_listed(scan.listed, logger)
        # ГИС ЖКХ cancellations are no registers: applied after posting (rkc.gis_cancel).
        files, cancellation_files = set_cancellations_aside(config, scan.registers)
        logger.info("%d new files in the inboxes, %d left there (in transit or waiting), %d quarantined unread",
                    len(files), len(scan.listed), len(listed) - len(scan.listed))  # fmt: skip
        to_read, copies = set_copies_aside(files)
        # executor: dask — the files and the registers go to the cluster's workers, the decision stays here
        with night_runner(config.executor, logger, needed=bool(files)) as runner:
            formats = {name: channel.format for name, channel in config.channels.items()}
            read = {i["path"]: i for i in _intake_all(home, to_read, work_dir, config.intake_workers, scan.totals,
                                                      runner, lock.to_dict(), formats)}  # fmt: skip
            copies = copies_of_refused(copies, {p: Intake.from_dict(i) for p, i in read.items()})
            read |= {c.path: c.to_dict() for c in copies}
            intakes = [read[str(path)] for _, path in files]  # inbox order
            direct = statements(home, run_date, work_dir)
            intakes += direct["intakes"]  # after the registers: the inbox's files come first
            parsed = [i for i in intakes if i["status"] == PARSED]
            plan = decide(home, intakes, work_dir, run_date) if parsed else None
            writers = config.posting_workers if is_postgres(engine) else 1  # SQLite: one writer
            outcomes = _post_all(home, intakes, plan, run_date, writers, lock.to_dict(), runner)
        cancelled = gis_cancellations(home, run_date, [(c, str(f)) for c, f in cancellation_files])
        tie_summary = tie(home, run_date, direct["read"])
        resolution_summary = resolutions(home, run_date)
        this_run = [o["file"] for o in outcomes if o["status"] in COMMITTED]
        skipped = [o for o in outcomes if o["status"] not in COMMITTED]
        extra = {"posted_this_run": this_run, "skipped_files": skipped, "tie_out": tie_summary,
                 "resolutions": resolution_summary, "gis_cancellations": cancelled,
                 "inbox": [e.to_dict() for e in listed]}  # fmt: skip
        result = report(home, run_date, work_dir, extra)
    engine.dispose()
    if not this_run:
        logger.info("Nothing new was posted: the report shows the night's %d registers as earlier runs left them.",
                    len(result["registers"]))  # fmt: skip
    night = {"date": run_date.isoformat(), "files": len(files), "posted_this_run": this_run, "skipped": skipped,
             **result}  # fmt: skip
    publish_artifacts(night, {name: c.agent_name for name, c in config.channels.items()})
    return night


def _intake_all(
    home: str, files: list[tuple[str, Path]], work_dir: str, workers: int, totals: dict[str, str] | None = None,
    runner: TaskRunner | None = None, lock: dict | None = None, formats: dict[str, str] | None = None,
) -> list[dict]:  # fmt: skip
    """Read every file, the costliest first (its size weighed by its channel's format in
    ``formats``, ``rkc.intake.costliest_first``), ``workers`` at a time (1, or 2: the flow's task runner
    has two threads; on a Dask ``runner``, as many as the cluster runs at once), each with its
    paired totals file (``totals``: register path -> totals path); the results keep the inbox
    order, which decides which of two copies is kept."""
    by_cost = costliest_first(files, formats or {})
    totals = totals or {}
    results: dict[int, dict] = {}

    def one(i: int) -> PrefectFuture:
        return submit(runner, intake, home, files[i][0], str(files[i][1]), work_dir, totals.get(str(files[i][1])), lock)

    if workers == 1 and runner is None:
        for i in by_cost:
            results[i] = one(i).result()
    else:
        futures = {i: one(i) for i in by_cost}
        results = {i: f.result() for i, f in futures.items()}
    return [results[i] for i in range(len(files))]


def _post_all(
    home: str, intakes: list[dict], plan: dict | None, run_date: date, workers: int, lock: dict | None = None,
    runner: TaskRunner | None = None,
) -> list[dict]:  # fmt: skip
    """Post every register, ``workers`` at a time (on a Dask ``runner``, as many as the cluster
    runs at once), largest first: the big one takes the whole run while the other workers go
    through the rest. Each register is one transaction; the ledger lock lets registers of
    different channels overlap (``sql.bulk.lock_ledger``). The results keep the inbox order."""
    if workers == 1 and runner is None:
        return [post_register(home, i, plan, run_date, lock) for i in intakes]
    by_size = sorted(range(len(intakes)), key=lambda i: -intakes[i].get("lines", 0))
    futures: dict[int, PrefectFuture] = {}
    stop = settle if runner is None else let_go
    try:
        for i in by_size:
            futures[i] = submit(runner, post_register, home, intakes[i], plan, run_date, lock)
    except BaseException:  # interrupted while submitting: those submitted still end first
        stop(list(futures.values()))
        raise
    finish_started(list(futures.values()), stop)
    return [futures[i].result() for i in range(len(intakes))]
