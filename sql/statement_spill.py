"""A range of suppliers' movements read unsorted and spilled to local Arrow files, a group a file.

Sorting a month's movements by supplier on the server (``sql.statement_stream.movement_groups``)
doubled the server's work: at 30M postings the sort of 18.6M wide rows cost as much as the join
and the text of the rows together. Here the server sends the range's legs (``LEG_COLUMNS``: the
postings joined to their entries by merge, in the order the join gives them, without their
payments' columns) through ``COPY`` parsed into Arrow a few megabytes at a time as in
``statement_stream``. Each batch is ordered by inn, takes its payments' columns from the month's
payments, read once beforehand (``sql.statement_payments``), is cut by supplier into groups of
whole suppliers planned ahead from the postings the balances' query counted (``group_uppers``) and
appended to that group's Arrow IPC file in a temporary directory (``TMPDIR``).
Then each group is read back supplier after supplier (each batch's run of an inn laid end to end),
sorted as ``sql.reporting.supplier_movements`` sorts (``typed_movements``: within a supplier only,
as the server's join interleaves its rows) and handed on, in inn order: the caller sees the same
frames as from the ordered stream, memory is bounded by a group and one batch, and the disk holds
the range's movements once (~200 bytes a movement) until they are rendered, beside the month's
payments (~175 bytes a payment).
PostgreSQL only (SQLite's small centers read the ordered query).
"""

from __future__ import annotations

import bisect
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, text

from sql.planner import planner_settings
from sql.reporting import MOVEMENT_COLUMNS, PAYMENT_MOVEMENT_COLUMNS, in_month, typed_movements
from sql.statement_payments import SpilledPayments, payment_span, spill_payments
from sql.statement_stream import copy_tables, range_params, ranged_movements_sql

# A serial plan: the ranges are read in processes of their own already, and the server's parallel
# workers cost ~60 % more CPU for the same rows. The postings join their entries by merge: by hash
# the read of a range cost the server ~60 % more at 30M postings (docs/PERFORMANCE.md «Session 22»).
MERGE_SETTINGS = {"max_parallel_workers_per_gather": "0", "enable_hashjoin": "off", "work_mem": "32MB"}
LEG_COLUMNS = [c for c in MOVEMENT_COLUMNS if c not in PAYMENT_MOVEMENT_COLUMNS]  # what the server joins


def group_uppers(suppliers: pd.DataFrame, rows: int) -> list[str]:
    """The last inn of each group but the last, cutting ``suppliers`` (``inn`` and ``postings``, by
    inn) into contiguous groups of at least ``rows`` postings (the last may hold fewer)."""
    uppers: list[str] = []
    held = 0
    for inn, postings in zip(suppliers["inn"].astype(str), suppliers["postings"].to_numpy(), strict=True):
        held += int(postings)
        if held >= rows:
            uppers.append(inn)
            held = 0
    return uppers[:-1] if held == 0 and uppers else uppers  # the last group reaches the range's end


def spilled_groups(conn: Connection, period: str, after: str | None, upto: str | None, uppers: list[str],
                   payments: Callable[[], list[Path]] | None = None) -> Iterator[pd.DataFrame]:  # fmt: skip
    """The period's movements of suppliers with ``after`` < inn ≤ ``upto``, one frame a group of
    ``uppers`` (group k holds the inns ≤ ``uppers[k]`` above the group before it; the last, the
    rest), each sorted and typed as ``supplier_movements`` returns them; empty groups skipped.
    ``payments``: returns the files of the month's payments, spilled in parts by this process and
    others (``sql.statement_payments.spill_payments``); without it they are read here, whole. Either
    way they are in hand before the legs are read."""
    with tempfile.TemporaryDirectory(prefix="rkc-statements-") as tmp:
        entries = month_entries(conn, period)
        if entries is None:
            return
        # The payments first: the legs come in entry order, near enough payment order, so each batch
        # takes its payments' columns from a narrow stretch of them (a group's legs, read back by
        # supplier, would take from all of them: ~4 times the CPU, docs/PERFORMANCE.md «Session 22»).
        parts = payments() if payments else [spill_payments(conn, payment_span(conn, period, entries), Path(tmp))]
        source = SpilledPayments(parts)
        try:
            with planner_settings(conn, MERGE_SETTINGS):
                legs = copy_tables(conn, legs_sql(period, after, upto, entries[0]), range_params(after, upto),
                                   LEG_COLUMNS)  # fmt: skip
                paths = _spill(legs, uppers, Path(tmp), source.with_payments)
        finally:
            source.close()
        for path in paths:
            with pa.memory_map(str(path)) as spilled:
                table = _by_supplier(pa.ipc.open_stream(spilled).read_all())
                frame = table.select(MOVEMENT_COLUMNS).to_pandas()
            del table
            path.unlink()
            yield typed_movements(frame)


def month_entries(conn: Connection, period: str) -> tuple[int, int] | None:
    """The lowest and highest entry id of the period's postings (None: it has none), from the
    partition's key at once."""
    query = f"SELECT min(entry_id), max(entry_id) FROM ledger_posting WHERE {in_month(period)}"  # noqa: S608
    first, last = conn.execute(text(query)).one()
    return None if first is None else (int(first), int(last))


def legs_sql(period: str, after: str | None, upto: str | None, first_entry: int) -> str:
    """The movements of ``ranged_movements_sql`` (unordered; ``:after``, ``:upto``) without their
    payments' columns (``LEG_COLUMNS``), the entries read in id order from ``first_entry`` (the
    month's lowest: ``month_entries``) and joined to the postings by merge."""
    legs = ranged_movements_sql(period, True, after, upto, ordered=False, payments=False)
    # Only a lower bound on the entries: an upper one led the planner to a slower plan at 30M postings.
    return f"{legs} AND e.id >= {int(first_entry)}"


def _spill(tables: Iterator[pa.Table], uppers: list[str], folder: Path,
           join: Callable[[pa.Table], pa.Table]) -> list[Path]:  # fmt: skip
    """Append each table's rows to its groups' files, each table's slice of a group ordered by inn
    (the rows of an inn in the order they came) and given the columns ``join`` adds (row for row);
    return the files written, in group order. The legs are ordered before the join: the payments'
    wide columns are then taken once, in their final order (a take of every column after the join
    copied them twice; docs/PERFORMANCE.md «Session 23»)."""
    writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
    paths: dict[int, Path] = {}
    try:
        for table in tables:
            if not len(table):
                continue
            rank, group = _inn_order(table.column("inn"), uppers)
            order = np.argsort(rank, kind="stable")  # by inn, hence by group: the groups are ranges of inns
            sizes = np.bincount(group, minlength=len(uppers) + 1)
            cut = join(table.take(pa.array(order)))
            start = 0
            for k in np.flatnonzero(sizes).tolist():
                if k not in writers:
                    paths[k] = folder / f"group-{k:06d}.arrow"
                    writers[k] = pa.ipc.new_stream(str(paths[k]), cut.schema)
                writers[k].write_table(cut.slice(start, int(sizes[k])))
                start += int(sizes[k])
    finally:
        for writer in writers.values():
            writer.close()
    return [paths[k] for k in sorted(paths)]


def _inn_order(inns: pa.ChunkedArray, uppers: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each row's rank of its inn among the table's inns, and its group: the number of ``uppers``
    below its inn (one lookup per distinct inn)."""
    encoded = pc.dictionary_encode(inns).combine_chunks()
    distinct = encoded.dictionary.to_pylist()
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[np.argsort(np.array(distinct, dtype=object), kind="stable")] = np.arange(len(distinct))
    groups = np.array([bisect.bisect_left(uppers, inn) for inn in distinct], dtype=np.int64)
    return rank[indices], groups[indices]


def _by_supplier(spilled: pa.Table) -> pa.Table:
    """A group's spilled batches (each ordered by inn) as one table ordered by inn, each inn's rows
    in the order they were spilled: runs cut and laid end to end, no row taken one by one (a
    random take of every column cost more than the server's sort it replaces)."""
    batches = spilled.to_batches()
    runs: list[tuple[str, int, int, int]] = []
    for b, batch in enumerate(batches):
        if not batch.num_rows:
            continue
        ends = pc.run_end_encode(batch.column("inn"))
        starts = [0, *ends.run_ends.to_pylist()[:-1]]
        for inn, first, last in zip(ends.values.to_pylist(), starts, ends.run_ends.to_pylist(), strict=True):
            runs.append((inn, b, first, last - first))
    runs.sort()  # by inn, then by the batch the rows came in
    return pa.Table.from_batches([batches[b].slice(first, n) for _, b, first, n in runs], schema=spilled.schema)
