"""Supplier statements of a month: read the ledger's movements and balances, hand them to the renderer.

``write_statements`` streams: the month's movements come in groups of whole suppliers, sorted
(on PostgreSQL read unsorted and spilled to local files a planned group at a time,
``sql.statement_spill``; on SQLite ordered by the query, ``sql.statement_stream``), and each group
is rendered as it arrives (``reports.statements.render_group``), so memory is bounded by a group
and the largest supplier, not by the month. A large month on PostgreSQL is cut into contiguous
ranges of suppliers of about equal postings (counted by the balances' query), each read and
rendered by a process of its own on the snapshot the balances were read in, once the workers
have read the month's payments, a part each, into files they all map (``sql.statement_payments``);
a small month, SQLite, or a caller's open connection (whose uncommitted rows other sessions cannot
see) is rendered in this process. The workers are started by ``spawn`` (no fork of a process
holding connections and threads), which imports the caller's main module again: a script that
calls ``write_statements`` keeps its work under ``if __name__ == "__main__":`` (the CLI, the flows
and the benchmarks do).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import date
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from reports.act import Party, act_lines, write_act
from reports.statements import StatementData, render_group, statement_dir, statement_suppliers
from reports.xlsx import MAX_SHEET_ROWS
from rkc.memory import children_keep_freed_memory, keep_freed_memory
from sql.engine import is_postgres, make_engine
from sql.reporting import (
    MOVEMENT_COLUMNS,
    period_bounds,
    supplier_directory,
    supplier_movements,
    supplier_period_balances,
    typed_movements,
)
from sql.statement_payments import payment_file, payment_parts, payment_span, spill_payments
from sql.statement_spill import group_uppers, month_entries, spilled_groups
from sql.statement_stream import GROUP_ROWS, export_snapshot, movement_groups, use_snapshot

PARALLEL_POSTINGS = 500_000  # below this a month renders in one process (starting a pool costs seconds)


def statement_data(conn: Connection, period: str) -> StatementData:
    """Every supplier's details, balances and postings for ``period`` (``YYYY-MM``; ValueError
    for anything else): three set-based queries for all suppliers, the month whole in memory."""
    start, _ = period_bounds(period)
    return StatementData(period, start, supplier_directory(conn), supplier_period_balances(conn, period),
                         supplier_movements(conn, period))  # fmt: skip


def write_statements(conn_or_engine: Connection | Engine, period: str, out_root: Path,
                     channel_names: Mapping[str, str] | None = None, *, workers: int | None = None,
                     group_rows: int = GROUP_ROWS, sheet_rows: int = MAX_SHEET_ROWS,
                     parallel_postings: int = PARALLEL_POSTINGS) -> list[Path]:  # fmt: skip
    """Write every supplier's statement for ``period`` (``YYYY-MM``) under ``out_root``; return the
    paths written, by inn (``reports.statements.render_group``). ``workers``: processes for a month
    of ``parallel_postings`` or more on PostgreSQL given an engine (default: the machine's cores,
    at most 4); ``group_rows``: movements rendered at a time; ``sheet_rows``: rows a sheet holds."""
    period_bounds(period)  # ValueError before anything is read
    if isinstance(conn_or_engine, Connection):
        return _write_range(conn_or_engine, period, _suppliers(conn_or_engine, period), None, None, out_root,
                            channel_names, group_rows, sheet_rows)  # fmt: skip
    engine = conn_or_engine
    workers = workers or min(4, os.cpu_count() or 1)
    with engine.connect() as conn:
        if not is_postgres(conn):
            return _write_range(conn, period, _suppliers(conn, period), None, None, out_root, channel_names,
                                group_rows, sheet_rows)  # fmt: skip
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            entries = month_entries(conn, period)
            # A month that looks large starts its workers now: their imports overlap the balances' query.
            pool = _started_pool(workers) if entries and entries[1] - entries[0] + 1 >= parallel_postings // 2 else None
            try:
                suppliers = _suppliers(conn, period)
                bounds = _ranges(suppliers, workers) if int(suppliers["postings"].sum()) >= parallel_postings else []
                if len(bounds) < 2:
                    return _write_range(conn, period, suppliers, None, None, out_root, channel_names, group_rows,
                                        sheet_rows)  # fmt: skip
                snapshot = export_snapshot(conn)  # the workers read the movements the balances were read with
                url = engine.url.render_as_string(hide_password=False)
                pool = pool or _started_pool(len(bounds))
                span = payment_span(conn, period, entries) if entries else None
                parts = payment_parts(span, len(bounds)) if span else []
                with tempfile.TemporaryDirectory(prefix="rkc-statements-") as shared:
                    futures = [
                        pool.executor.submit(_write_range_of, url, snapshot, period, _between(suppliers, after, upto),
                                             after, upto, out_root, dict(channel_names or {}), group_rows, sheet_rows,
                                             (shared, parts, k))
                        for k, (after, upto) in enumerate(bounds)
                    ]  # fmt: skip
                    done, _ = wait(futures, return_when=FIRST_EXCEPTION)
                    if any(future.exception() for future in done):
                        pool.abandoned.set()  # the others stop waiting for a part of the payments
                    return [path for future in futures for path in future.result()]
            finally:
                if pool is not None:
                    pool.executor.shutdown(cancel_futures=True)


@dataclass(frozen=True)
class _Pool:
    """The workers, and the event by which the caller tells them the month is abandoned (a worker failed)."""

    executor: ProcessPoolExecutor
    abandoned: EventType


def _started_pool(workers: int) -> _Pool:
    """``workers`` processes started by ``spawn`` (no fork of a process holding connections), each
    importing the renderer at once: they start while the caller reads the balances."""
    context = multiprocessing.get_context("spawn")
    abandoned = context.Event()
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_remember, initargs=(abandoned,))
    with children_keep_freed_memory():  # they stream the month a batch at a time, then end
        for _ in range(workers):
            pool.submit(_ready)  # a process a task while none is idle: all of them start
    return _Pool(pool, abandoned)


_abandoned: EventType | None = None  # a worker's: set when another worker has failed


def _remember(abandoned: EventType) -> None:
    """A worker's start: keep the event that says the month is abandoned, keep the memory it frees
    (``rkc.memory.keep_freed_memory``), and end this process when the one that started it ends (a
    pool's workers otherwise wait for tasks forever once their caller is killed, each holding its
    memory)."""
    global _abandoned  # one per worker process, set before any task
    _abandoned = abandoned
    keep_freed_memory()
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent.sentinel,), name="statements-orphan", daemon=True).start()


def _end_with(sentinel: int) -> None:
    """Wait for the process behind ``sentinel`` to end, then end this one at once."""
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _ready() -> None:
    """Nothing: run in a new worker, it has imported this module (and the renderer) to find it."""


def _payments_spilled(conn: Connection, folder: Path, parts: list[tuple[int, int]], part: int) -> list[Path]:
    """A worker's share of the month's payments: spill the part ``part`` of ``parts`` (when there is
    one), then wait for the other workers' parts; the files, in id order. RuntimeError when the
    month is abandoned (another worker failed) or the caller has ended."""
    if part < len(parts):
        spill_payments(conn, parts[part], folder, part)
    paths = [payment_file(folder, k) for k in range(len(parts))]
    while not all(path.exists() for path in paths):
        if _abandoned is None or _abandoned.wait(0.02):
            raise RuntimeError("another worker failed: the month's statements are abandoned")
        parent = multiprocessing.parent_process()
        if parent is not None and not parent.is_alive():
            raise RuntimeError("the statements' process ended before the month's payments were read")
    return paths


def _suppliers(conn: Connection, period: str) -> pd.DataFrame:
    """Every supplier's details, balances and postings in the period, by inn."""
    return statement_suppliers(supplier_directory(conn), supplier_period_balances(conn, period))


def _ranges(suppliers: pd.DataFrame, parts: int) -> list[tuple[str | None, str | None]]:
    """``(after, upto]`` ranges of inns, contiguous, covering every inn (the first open below, the
    last above), of about equal postings each; fewer when the suppliers do not split."""
    inns = suppliers["inn"].astype(str).to_numpy()
    share = np.cumsum(suppliers["postings"].to_numpy()) / max(1, int(suppliers["postings"].sum()))
    cuts = sorted(c for c in {int(np.searchsorted(share, k / parts)) for k in range(1, parts)} if c < len(inns) - 1)
    uppers: list[str | None] = [inns[c] for c in cuts] + [None]
    return list(zip([None, *uppers[:-1]], uppers, strict=True))


def _between(suppliers: pd.DataFrame, after: str | None, upto: str | None) -> pd.DataFrame:
    """The suppliers with ``after`` < inn ≤ ``upto`` (None: unbounded)."""
    inn = suppliers["inn"].astype(str)
    keep = pd.Series(True, index=suppliers.index)
    if after is not None:
        keep &= inn > after
    if upto is not None:
        keep &= inn <= upto
    return suppliers[keep]


def _write_range_of(url: str, snapshot: str | None, period: str, suppliers: pd.DataFrame, after: str | None,
                    upto: str | None, out_root: Path, channel_names: Mapping[str, str], group_rows: int,
                    sheet_rows: int, payments: tuple[str, list[tuple[int, int]], int]) -> list[Path]:  # fmt: skip
    """A worker process: the statements of one range of suppliers, on the snapshot ``snapshot``;
    ``payments``: the folder the workers spill the month's payments into, its parts (spans of ids)
    and the part this worker reads (``_payments_spilled``)."""
    folder, parts, part = payments
    engine = make_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            if snapshot is not None:
                use_snapshot(conn, snapshot)
            return _write_range(conn, period, suppliers, after, upto, out_root, channel_names, group_rows,
                                sheet_rows, lambda: _payments_spilled(conn, Path(folder), parts, part))  # fmt: skip
    finally:
        engine.dispose()


def _write_range(conn: Connection, period: str, suppliers: pd.DataFrame, after: str | None, upto: str | None,
                 out_root: Path, channel_names: Mapping[str, str] | None, group_rows: int, sheet_rows: int,
                 payments: Callable[[], list[Path]] | None = None) -> list[Path]:  # fmt: skip
    """Stream the movements of the suppliers in ``(after, upto]`` and render them group by group;
    ``suppliers`` are those of the range, with or without movements; ``payments`` as
    ``spilled_groups`` takes it."""
    start, _ = period_bounds(period)
    return [path for group, moves in _supplier_groups(conn, period, suppliers, after, upto, group_rows, payments)
            for path in render_group(period, start, group, moves, out_root, channel_names, sheet_rows)]  # fmt: skip


def _supplier_groups(conn: Connection, period: str, suppliers: pd.DataFrame, after: str | None = None,
                     upto: str | None = None, group_rows: int = GROUP_ROWS,
                     payments: Callable[[], list[Path]] | None = None,
                     ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:  # fmt: skip
    """The suppliers of ``(after, upto]`` in groups with their movements, as the movements stream:
    each group with the suppliers before it that have none; last, those after every movement. On
    PostgreSQL the groups are planned from the suppliers' postings and the movements spilled to
    local files unsorted (``sql.statement_spill``: the server's sort was half its work); SQLite
    sorts them in the query."""
    if is_postgres(conn):
        groups = spilled_groups(conn, period, after, upto, group_uppers(suppliers, group_rows), payments)
    else:
        groups = movement_groups(conn, period, after, upto, group_rows)
    done = after
    for moves in groups:
        last = str(moves["inn"].iloc[-1])
        yield _between(suppliers, done, last), moves
        done = last
    yield _between(suppliers, done, upto), _no_moves()


def _no_moves() -> pd.DataFrame:
    """An empty movements frame of the right columns and types."""
    return typed_movements(pd.DataFrame({c: pd.Series([], dtype="str") for c in MOVEMENT_COLUMNS}))


def write_acts(conn_or_engine: Connection | Engine, period: str, out_root: Path, center: Party) -> list[Path]:
    """Write the act of reconciliation of ``period`` for every supplier with movements or a balance,
    beside its statement (``act-<period>-<inn>.xlsx``); return the paths written, by inn. The
    movements stream by supplier as for the statements (one process: an act is a few lines)."""
    start, _ = period_bounds(period)
    if isinstance(conn_or_engine, Connection):
        return _write_acts(conn_or_engine, period, start, out_root, center)
    with conn_or_engine.connect() as conn:
        return _write_acts(conn, period, start, out_root, center)


def _write_acts(conn: Connection, period: str, start: date, out_root: Path, center: Party) -> list[Path]:
    return [path for group, moves in _supplier_groups(conn, period, _suppliers(conn, period))
            for path in _acts(group, moves, period, start, out_root, center)]  # fmt: skip


def _acts(suppliers: pd.DataFrame, moves: pd.DataFrame, period: str, start: date, out_root: Path,
          center: Party) -> list[Path]:  # fmt: skip
    """The acts of ``suppliers`` with movements in ``moves`` (all of theirs) or a balance."""
    known = suppliers.set_index(suppliers["inn"].astype(str))
    by_inn = {str(inn): frame for inn, frame in moves.groupby("inn", sort=True)}
    owing = known.index[(known["opening"] != 0) | (known["closing"] != 0)]
    written = []
    for inn in sorted(set(by_inn) | set(owing)):
        opening, closing = (int(known.at[inn, c]) if inn in known.index else 0 for c in ("opening", "closing"))
        name = str(known.at[inn, "name"]) if inn in known.index else ""
        path = statement_dir(out_root, period, inn) / f"act-{period}-{inn}.xlsx"
        lines = act_lines(by_inn.get(inn, moves.iloc[0:0]))
        written.append(write_act(path, start, center, Party(name or inn, inn), opening, closing, lines))
    return written
