"""The nightly run: inbox → intake → decisions → posting per register → tie-out → resolutions →
report and summary. Tasks pass paths and small dicts; the work is in ``rkc.*``."""

from __future__ import annotations

import concurrent.futures
import logging
import time
from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.futures import PrefectConcurrentFuture, wait
from prefect.task_runners import ThreadPoolTaskRunner

from flows.common import config_and_engine, retry_on_io
from rkc.commit import commit_register
from rkc.decide import NightPlan, decide_night
from rkc.intake import PARSED, Intake, collect_inbox, take_in
from rkc.memory import libraries_out_of_the_collector, release_memory, return_memory_promptly
from rkc.report import write_report
from rkc.resolve import apply_resolutions
from rkc.runlock import run_lock
from rkc.summary import discrepancy_counts, write_summary
from rkc.tie import tie_out
from sql.engine import migrate


@task(retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_io)
def intake(home: str, channel: str, path: str, work_dir: str) -> dict:
    """Identify and parse one file into the work directory."""
    config, engine = config_and_engine(home)
    started = time.perf_counter()
    try:
        result = take_in(config, engine, channel, Path(path), Path(work_dir))
        get_run_logger().info("%s (%s): %s %s, %d lines, %.1f s", result.name, channel, result.status, result.format,
                              result.lines, time.perf_counter() - started)  # fmt: skip
        return result.to_dict()
    finally:
        engine.dispose()
        release_memory()  # this step's peak must not add to the next one's


@task
def decide(home: str, intakes: list[dict], work_dir: str) -> dict:
    """Decide every payment of the night (no ledger writes)."""
    config, engine = config_and_engine(home)
    try:
        return decide_night(config, engine, [Intake.from_dict(i) for i in intakes], Path(work_dir)).to_dict()
    finally:
        engine.dispose()
        release_memory()  # this step's peak must not add to the next one's


@task(retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_io)
def post_register(home: str, intake_: dict, plan: dict | None, run_date: date) -> dict:
    """Post one register in one transaction and file it away."""
    config, engine = config_and_engine(home)
    started = time.perf_counter()
    try:
        night = NightPlan.from_dict(plan) if plan else None
        outcome = commit_register(config, engine, Intake.from_dict(intake_), night, run_date)
        get_run_logger().info("%s (%s): %s, %d lines, %.1f s", outcome.file, outcome.channel, outcome.status,
                              outcome.lines, time.perf_counter() - started)  # fmt: skip
        return outcome.to_dict()
    finally:
        engine.dispose()
        release_memory()  # this step's peak must not add to the next one's


@task(retries=2, retry_delay_seconds=2, retry_condition_fn=retry_on_io)
def tie(home: str, run_date: date) -> dict:
    """Read bank statements and tie registers to their п/п."""
    config, engine = config_and_engine(home)
    try:
        return tie_out(config, engine, run_date).__dict__
    finally:
        engine.dispose()


@task
def resolutions(home: str, run_date: date) -> dict:
    """Apply the accountants' resolution workbooks."""
    config, engine = config_and_engine(home)
    try:
        return apply_resolutions(config, engine, run_date).__dict__
    finally:
        engine.dispose()


@task
def report(home: str, run_date: date, outcomes: list[dict], plan: dict | None, extra: dict) -> dict:
    """Write the discrepancy report and the run summary (which checks the bridge closes)."""
    config, engine = config_and_engine(home)
    try:
        out_dir = config.out / run_date.isoformat()
        files = write_report(config, engine, run_date, outcomes, NightPlan.from_dict(plan) if plan else None)
        counts = discrepancy_counts(engine, run_date)
        summary = write_summary(out_dir, run_date, outcomes, counts, {**extra, "report": files})
        return {"summary": str(summary), **files, "discrepancies": counts}
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
    run_date = run_date or date.today()
    migrate(engine)
    with run_lock(config, engine), libraries_out_of_the_collector():
        work_dir = str(config.home / "work" / run_date.isoformat())
        files = collect_inbox(config)
        logger.info("%d new files in the inboxes", len(files))
        intakes = _intake_all(home, files, work_dir, config.intake_workers)
        parsed = [i for i in intakes if i["status"] == PARSED]
        plan = decide(home, intakes, work_dir) if parsed else None
        writers = config.posting_workers if engine.dialect.name == "postgresql" else 1  # SQLite: one writer
        outcomes = _post_all(home, intakes, plan, run_date, writers)
        tie_summary = tie(home, run_date)
        resolution_summary = resolutions(home, run_date)
        bridged = [o for o in outcomes if o["status"] in ("posted", "quarantined")]
        skipped = [o for o in outcomes if o not in bridged]
        extra = {"skipped_files": skipped, "tie_out": tie_summary, "resolutions": resolution_summary}
        result = report(home, run_date, bridged, plan, extra)
    engine.dispose()
    if not files:
        logger.info("Nothing new in the inboxes: nothing was posted.")
    _artifacts(bridged, result)
    return {"date": run_date.isoformat(), "files": len(files), "registers": bridged, "skipped": skipped, **result}


def _intake_all(home: str, files: list[tuple[str, Path]], work_dir: str, workers: int) -> list[dict]:
    """Read every file, largest first, ``workers`` at a time (1, or 2: the flow's task runner has two
    threads); the results keep the inbox order, which decides which of two copies is kept."""
    by_size = sorted(range(len(files)), key=lambda i: -files[i][1].stat().st_size)
    results: dict[int, dict] = {}
    if workers == 1:
        for i in by_size:
            results[i] = intake.submit(home, files[i][0], str(files[i][1]), work_dir).result()
    else:
        futures = {i: intake.submit(home, files[i][0], str(files[i][1]), work_dir) for i in by_size}
        results = {i: f.result() for i, f in futures.items()}
    return [results[i] for i in range(len(files))]


def _post_all(home: str, intakes: list[dict], plan: dict | None, run_date: date, workers: int) -> list[dict]:
    """Post every register, ``workers`` at a time, largest first: the big one takes the whole run
    while the other worker goes through the rest. Each register is one transaction; the ledger
    lock lets registers of different channels overlap (``sql.bulk.lock_ledger``). The results
    keep the inbox order."""
    if workers == 1:
        return [post_register(home, i, plan, run_date) for i in intakes]
    by_size = sorted(range(len(intakes)), key=lambda i: -intakes[i].get("lines", 0))
    futures = {i: post_register.submit(home, intakes[i], plan, run_date) for i in by_size}
    finish_started(list(futures.values()))
    return [futures[i].result() for i in range(len(intakes))]


def finish_started(futures: list[PrefectConcurrentFuture]) -> None:
    """Wait for every posting. On an interrupt (Ctrl-C, a stop signal) drop those not yet started
    and wait for those under way before the interrupt goes on: the run lock must not be let go
    while a register is still being committed (a run waiting for the lock would decide the night
    without it), and each of them commits or rolls back whole."""
    try:
        wait(futures)
    except BaseException:
        for future in futures:
            future.wrapped_future.cancel()  # only those still queued: a running one cannot be
        queued_or_running = [f.wrapped_future for f in futures]
        while under_way := [f for f in queued_or_running if not f.done()]:
            logging.getLogger("rkc.nightly").warning(
                "Interrupted: waiting for %d register(s) being posted to commit or roll back", len(under_way))
            try:
                concurrent.futures.wait(under_way)
            except KeyboardInterrupt:  # a second Ctrl-C: still not while a transaction is open
                continue
        raise


def _artifacts(outcomes: list[dict], result: dict) -> None:
    """The bridge as a table and the discrepancy counts as markdown, for the Prefect UI."""
    from domain.money import format_amount

    rows = [
        {"file": o["file"], "channel": o["channel"], "status": o["status"],
         **{k: format_amount(o[k]) for k in ("amount_total", "posted", "suspense", "rejected", "duplicate",
                                               "quarantined")}}
        for o in outcomes
    ]  # fmt: skip
    create_table_artifact(rows, key="nightly-bridge", description="Bridge per register (rubles)")
    counts = "\n".join(f"| {code} | {n} |" for code, n in result.get("discrepancies", {}).items()) or "| — | 0 |"
    create_markdown_artifact(
        f"# Discrepancies\n\n| code | count |\n|---|---|\n{counts}\n\nReport: [{result.get('xlsx')}]"
        f"(file://{result.get('xlsx')})\n",
        key="nightly-discrepancies",
    )
