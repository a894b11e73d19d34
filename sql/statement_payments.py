"""The payments a month's supplier movements name, read once and joined to the movements on the client.

A payment is split over one to a few suppliers, and each of its supplier legs shows the payment's
own columns (``PAYMENT_MOVEMENT_COLUMNS``: channel, operation, payer, address…). Joined on the
server, those columns were sorted, merged and sent as text once a leg, and once a range of suppliers
each process read (at 30M postings: 1.3 of the 1.9 GB a range, and a third of the server's work,
docs/PERFORMANCE.md «Session 22: statements, the payments read once»). Here the month's payments
are read once, by id, into Arrow IPC files (``spill_payments``, a part of the ids a process:
``payment_parts``) that every process reading a range maps (the page cache holds them once), and
each batch of legs takes its payments' columns from them (``SpilledPayments.with_payments``).

The payments read are those with ids from the lowest to the highest any of the month's entries
names (``payment_span``): a reversal of an old payment widens the span, so it costs time, never a
row. PostgreSQL only, as ``sql.statement_spill``.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, text

from sql.planner import planner_settings
from sql.reporting import PAYMENT_MOVEMENT_COLUMNS, in_month
from sql.statement_stream import copy_tables

PAYMENT_COLUMNS = ["payment_id", *PAYMENT_MOVEMENT_COLUMNS]  # as the spilled file holds them
_TEXT_FIELDS = [pa.field(c, pa.string()) for c in PAYMENT_MOVEMENT_COLUMNS]
_NARROW = 4  # payments' rows spanned per leg below which a batch's stretch of the file is copied whole
_SERIAL = {"max_parallel_workers_per_gather": "0"}  # the ranges' processes use the other cores already


class MissingPaymentError(RuntimeError):
    """A movement names a payment the month's payments do not hold: a bug in the span, never data."""


def payment_span(conn: Connection, period: str, entries: tuple[int, int]) -> tuple[int, int] | None:
    """The lowest and highest payment id the period's entries name (None: none names one); ``entries``
    is the span of the period's entry ids (``sql.statement_spill.month_entries``)."""
    first, last = entries
    # OFFSET 0 keeps the planner on the month's range of entries (the payment ids' index would walk
    # every older entry to the first of the month's).
    named = (
        f"SELECT payment_id FROM ledger_entry WHERE id BETWEEN {int(first)} AND {int(last)}"  # noqa: S608
        f" AND {in_month(period)} OFFSET 0"
    )
    low, high = conn.execute(text(f"SELECT min(payment_id), max(payment_id) FROM ({named}) s")).one()  # noqa: S608
    return None if low is None else (int(low), int(high))


def payments_sql(span: tuple[int, int]) -> str:
    """The payments of ``span`` (ids, both ends included) with ``PAYMENT_COLUMNS``, by id."""
    columns = ", ".join(["id AS payment_id", *PAYMENT_MOVEMENT_COLUMNS])
    return f"SELECT {columns} FROM payment WHERE id BETWEEN {int(span[0])} AND {int(span[1])} ORDER BY id"  # noqa: S608


def payment_parts(span: tuple[int, int], parts: int) -> list[tuple[int, int]]:
    """``span`` cut into ``parts`` contiguous spans of ids of about equal width (fewer when it is
    narrower than ``parts``), in order.

    >>> payment_parts((1, 10), 2)
    [(1, 5), (6, 10)]
    >>> payment_parts((7, 7), 3)
    [(7, 7)]
    """
    low, high = span
    cuts = sorted({low + (high - low + 1) * k // parts for k in range(parts)} | {high + 1})
    return [(a, b - 1) for a, b in pairwise(cuts)]


def payment_file(folder: Path, part: int) -> Path:
    """Where ``spill_payments`` writes the part ``part`` of the month's payments."""
    return folder / f"payments-{part:03d}.arrow"


def spill_payments(conn: Connection, span: tuple[int, int] | None, folder: Path, part: int = 0) -> Path:
    """Write the payments of ``span`` (ids, both ends included; None: no payment) to
    ``folder/payments-<part>.arrow``, by id, and return its path. The file appears whole: it is
    written under another name and renamed."""
    path = payment_file(folder, part)
    partial = path.with_name(path.name + ".partial")
    schema = pa.schema([pa.field("payment_id", pa.int64()), *_TEXT_FIELDS])
    with pa.ipc.new_stream(str(partial), schema) as writer:
        if span is not None:
            with planner_settings(conn, _SERIAL):
                for table in copy_tables(conn, payments_sql(span), {}, PAYMENT_COLUMNS):
                    writer.write_table(table.cast(schema))
    partial.replace(path)
    return path


class SpilledPayments:
    """A month's payments as ``spill_payments`` wrote them, in parts, mapped (not read into this
    process's memory)."""

    def __init__(self, paths: list[Path]) -> None:
        """Map ``paths`` (the parts, in id order); ``MissingPaymentError`` if their ids are not
        strictly increasing (a bug)."""
        self._sources = [pa.memory_map(str(path)) for path in paths]
        tables = [pa.ipc.open_stream(source).read_all() for source in self._sources]
        self._batches = [b for table in tables for b in table.to_batches() if b.num_rows]
        sizes = [b.num_rows for b in self._batches]
        self._starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        ids = [b.column("payment_id").to_numpy() for b in self._batches]
        self._ids = np.concatenate(ids) if ids else np.empty(0, dtype=np.int64)
        if len(self._ids) > 1 and not (np.diff(self._ids) > 0).all():
            raise MissingPaymentError(f"the payments of {paths} are not ordered by id")

    def close(self) -> None:
        """Unmap the files."""
        self._batches = []
        for source in self._sources:
            source.close()

    def with_payments(self, legs: pa.Table) -> pa.Table:
        """``legs`` (with ``payment_id``) with each leg's payment's ``PAYMENT_MOVEMENT_COLUMNS`` added
        (missing where the leg names no payment), in the legs' order. Payments in a narrow stretch
        of the file are copied once and taken from; scattered ones are taken batch by batch (a take
        over all the file's batches would first copy the whole file into memory)."""
        wanted = legs.column("payment_id")
        named = pc.is_valid(wanted).to_numpy(zero_copy_only=False)
        ids = pc.fill_null(wanted, -1).to_numpy()
        at = self._places(ids, named)
        found = named & (self._ids[at] == ids) if len(self._ids) else np.zeros(len(ids), dtype=bool)
        if (named & ~found).any():
            missing = ids[named & ~found][:5].tolist()
            raise MissingPaymentError(f"movements name payments the month's payments lack: {missing}")
        rows = at[found]
        index = np.zeros(len(ids), dtype=np.int64)
        if len(rows) and rows.max() - rows.min() < _NARROW * len(rows):
            # The usual batch: its payments lie in a narrow stretch of the file, copied once, and
            # the legs take from it (two copies of the columns instead of three).
            low = int(rows.min())
            index[found] = rows - low
            stretch = self._stretch(low, int(rows.max()) + 1)
        else:
            stretch, index[found] = self._taken(rows)
        joined = stretch.take(pa.array(index, mask=~found))
        for name in PAYMENT_MOVEMENT_COLUMNS:
            legs = legs.append_column(name, joined.column(name))
        return legs

    def _places(self, ids: np.ndarray, named: np.ndarray) -> np.ndarray:
        """Where each of ``ids`` (those ``named``) is, or would be, in the file's ids: a row of the
        file, to be checked against the id by the caller. Only the file's ids between the lowest and
        the highest named are searched, and read by offset when they run without a gap (a search of
        all the month's ids a leg: 2.91 s for a range's join against 2.67 s, docs/PERFORMANCE.md
        «Session 24»)."""
        if not len(self._ids) or not named.any():
            return np.zeros(len(ids), dtype=np.int64)
        wanted = ids[named]
        first = int(np.searchsorted(self._ids, wanted.min()))
        last = int(np.searchsorted(self._ids, wanted.max(), side="right"))
        window = self._ids[first:last]
        if len(window) and int(window[-1]) - int(window[0]) == len(window) - 1:
            at = ids - window[0] + first  # ids without a gap: a row is its id's offset
        else:
            at = np.searchsorted(window, ids) + first
        return np.clip(at, 0, len(self._ids) - 1)

    def _stretch(self, low: int, high: int) -> pa.Table:
        """The payments' rows ``[low, high)`` of the file, as one table of contiguous columns."""
        first = int(np.searchsorted(self._starts, low, side="right")) - 1
        last = int(np.searchsorted(self._starts, high - 1, side="right")) - 1
        pieces = [
            self._batches[k].select(PAYMENT_MOVEMENT_COLUMNS).slice(
                max(low - int(self._starts[k]), 0), min(high, int(self._starts[k + 1])) - max(low, int(self._starts[k]))
            )
            for k in range(first, last + 1)
        ]  # fmt: skip
        return pa.Table.from_batches(pieces, schema=pa.schema(_TEXT_FIELDS)).combine_chunks()

    def _taken(self, rows: np.ndarray) -> tuple[pa.Table, np.ndarray]:
        """The payments' ``rows`` of the file, scattered over it (a leg naming an old payment),
        taken batch by batch into one table; and each row's place in it."""
        order = np.argsort(rows, kind="stable")  # the rows to take, batch by batch
        ordered = rows[order]
        cuts = np.searchsorted(ordered, self._starts)
        pieces = [
            self._batches[k].select(PAYMENT_MOVEMENT_COLUMNS).take(pa.array(ordered[lo:hi] - self._starts[k]))
            for k, (lo, hi) in enumerate(zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True))
            if hi > lo
        ]  # fmt: skip
        taken = pa.Table.from_batches(pieces, schema=pa.schema(_TEXT_FIELDS)).combine_chunks()
        back = np.empty(len(rows), dtype=np.int64)
        back[order] = np.arange(len(rows), dtype=np.int64)
        return taken, back
