"""Bulk writes: COPY on PostgreSQL, executemany elsewhere; never row-by-row ORM adds.

Also the allocation of id blocks, so that rows of several tables can be written by COPY with
their foreign keys already known instead of being read back.
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg.abc import Buffer
from psycopg.copy import LibpqWriter
from sqlalchemy import Connection, text

from sql.engine import is_postgres

COPY_BATCH_ROWS = 50_000  # rows formatted per CSV batch while the previous one is sent
COPY_AHEAD = 2  # formatted batches that may wait for the sender: the formatter stays this far ahead at most
POSTING_LOCK = 0x726B63  # "rkc": the advisory lock of ledger writers on PostgreSQL (see lock_ledger)
ALLOCATION_LOCK = 0x726B64  # serialises id reservations, which concurrent register postings make


def lock_ledger(conn: Connection, channel: str | None = None) -> None:
    """Serialise ledger writers for the rest of the transaction.

    PostgreSQL, transaction-scoped advisory locks (re-entrant within the transaction). Without
    ``channel`` the lock is exclusive: no other ledger writer runs meanwhile. With ``channel``
    (posting one register's payments) it is shared with the postings of other channels and
    exclusive per channel: a payment key belongs to one channel, so registers of two channels
    cannot collide on a key and may be posted at once, while two registers of one channel are
    posted one after the other. SQLite: the engine opens every transaction with
    ``BEGIN IMMEDIATE``, which serialises all writers.
    """
    if not is_postgres(conn):
        return
    if channel is None:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": POSTING_LOCK})
        return
    conn.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": POSTING_LOCK})
    conn.execute(text("SELECT pg_advisory_xact_lock(:k, hashtext(:c))"), {"k": POSTING_LOCK, "c": channel})


def allocate_ids(conn: Connection, table: str, count: int) -> range:
    """Reserve ``count`` consecutive ids of ``table`` (call under ``lock_ledger``).

    PostgreSQL: ``nextval`` then ``setval`` over the block, in a short transaction of its own
    under ``ALLOCATION_LOCK``, so that two registers posted at once get disjoint blocks; a
    sequence ignores rollbacks anyway, so a block reserved by a posting that then fails is a gap.
    Everyone else who takes ids from these sequences holds the exclusive ledger lock, which
    excludes the register postings that reserve blocks.
    """
    if count <= 0:
        return range(0)
    if is_postgres(conn):
        with conn.engine.connect() as own:
            own.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ALLOCATION_LOCK})
            sequence = "pg_get_serial_sequence(:t, 'id')"
            last = own.execute(
                text(f"SELECT setval({sequence}, nextval({sequence}) + :n - 1)"), {"t": table, "n": count}
            ).scalar_one()
            own.commit()
        return range(int(last) - count + 1, int(last) + 1)
    top = conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one()  # noqa: S608
    return range(int(top) + 1, int(top) + 1 + count)


def bulk_insert(
    conn: Connection, table: str, frame: pd.DataFrame, columns: Sequence[str], order: np.ndarray | None = None
) -> int:
    """Insert ``frame[columns]`` into ``table`` in bulk and return the row count.

    PostgreSQL gets one ``COPY … FROM STDIN`` of CSV written by pyarrow (NULL is an empty
    unquoted field, strings are quoted when needed), in batches handed to a writer thread so that
    the server takes in one batch while the next is formatted; other databases get one
    executemany. ``order`` (row positions) is the order to send the rows in on PostgreSQL, taken
    a batch at a time: rows in index-key order fill the indexes left to right.
    """
    if frame.empty:
        return 0
    cols = list(columns)
    if is_postgres(conn):
        arrow = arrow_table(frame, cols)
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        driver = conn.connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            statement = f"COPY {table} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv)"
            with cursor.copy(statement, writer=AheadWriter(cursor)) as copy:
                for batch in _batches(arrow, order):
                    buffer = io.BytesIO()
                    pacsv.write_csv(batch, buffer, options)
                    copy.write(buffer.getbuffer())
        return len(frame)
    placeholders = ", ".join(f":{c}" for c in cols)
    statement = text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({placeholders})")  # noqa: S608
    conn.execute(statement, _records(frame[cols]))
    return len(frame)


class AheadWriter(LibpqWriter):
    """COPY data sent by a thread of its own while the caller formats the next batch, the caller
    at most ``COPY_AHEAD`` batches ahead.

    psycopg's ``QueuedLibpqWriter`` does the same with a queue of up to 1,024 slices of 128 KB:
    when the server is slower than the formatting, ~128 MB of CSV (and the batches the slices
    keep alive) waited in memory, part of the charges import's peak (docs/PERFORMANCE.md,
    «Session 15: charges import»).
    """

    def __init__(self, cursor: Any) -> None:
        super().__init__(cursor)
        self._waiting: queue.Queue[Buffer | None] = queue.Queue(maxsize=COPY_AHEAD)
        self._sender: threading.Thread | None = None
        self._error: BaseException | None = None

    def write(self, data: Buffer) -> None:
        """Hand ``data`` to the sending thread; blocks while ``COPY_AHEAD`` buffers wait."""
        if self._sender is None:
            self._sender = threading.Thread(target=self._send, name="copy-sender", daemon=True)
            self._sender.start()
        if self._error is not None:
            raise self._error
        self._waiting.put(data)

    def _send(self) -> None:
        try:
            while (data := self._waiting.get()) is not None:
                super().write(data)
        except BaseException as error:  # any: re-raised in the caller's thread
            self._error = error
            while self._waiting.get() is not None:  # keep taking, or the caller's put would block forever
                pass

    def finish(self, exc: BaseException | None = None) -> None:
        """Send what waits, then end the COPY (or abort it with ``exc``)."""
        self._waiting.put(None)
        if self._sender is not None:
            self._sender.join()
            self._sender = None
        if self._error is not None:
            raise self._error
        super().finish(exc)


@contextmanager
def staged(conn: Connection, name: str, frame: pd.DataFrame, columns: dict[str, str]) -> Iterator[str]:
    """``frame``'s ``columns`` (name → SQL type) in a temporary table ``name`` for the block, so that
    many keys are looked up by one join on the other table's index, not an ``IN`` list or a scan.

    The table is dropped when the block ends; when it fails, the transaction's rollback drops it
    (a ``DROP`` in an aborted PostgreSQL transaction would only hide the first error).
    """
    temp = "CREATE TEMPORARY TABLE" if is_postgres(conn) else "CREATE TEMP TABLE"
    conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(text(f"{temp} {name} ({', '.join(f'{c} {t}' for c, t in columns.items())})"))
    bulk_insert(conn, name, frame, list(columns))
    yield name
    conn.execute(text(f"DROP TABLE {name}"))


def _batches(table: pa.Table, order: np.ndarray | None) -> Iterator[pa.Table | pa.RecordBatch]:
    """The table in COPY-sized batches, in ``order`` where given (only a batch is copied at a time)."""
    if order is None:
        yield from table.to_batches(max_chunksize=COPY_BATCH_ROWS)
        return
    table = table.combine_chunks()  # a take from many chunks costs ~8× one from a single chunk
    for start in range(0, len(order), COPY_BATCH_ROWS):
        yield table.take(order[start : start + COPY_BATCH_ROWS])


def arrow_table(frame: pd.DataFrame, columns: Sequence[str]) -> pa.Table:
    """``frame[columns]`` as an Arrow table for COPY, built column by column.

    Text stays Arrow when pandas already holds it so (``str`` columns), Python objects are
    converted once. PostgreSQL text cannot hold NUL, which raw lines from outside may carry: it is
    escaped visibly. The table is validated in full (offsets, UTF-8) so that a conversion fault
    raises here instead of reaching the database as garbage.
    """
    arrays = []
    for name in columns:
        array = pa.array(frame[name], from_pandas=True)
        if pa.types.is_dictionary(array.type):
            # Categoricals (ledger accounts, services) stay codes: the CSV writer prints their
            # text, and millions of legs are not spelled out in memory first.
            array = pa.DictionaryArray.from_arrays(array.indices, _text_for_copy(array.dictionary))
        else:
            array = _text_for_copy(array)
        arrays.append(array)
    table = pa.table(arrays, names=list(columns))
    table.validate(full=True)
    return table


def _text_for_copy(array: pa.Array) -> pa.Array:
    """Text as large strings with NUL (which PostgreSQL text cannot hold) escaped visibly; other
    types unchanged."""
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return array
    array = array.cast(pa.large_string())
    # Whether a NUL is there at all is asked of the bytes (one vectorised min), not of each string:
    # the exact pass runs only when one is (or when the buffer holds one outside a slice).
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    if any(_may_hold_nul(c) for c in chunks) and pc.any(pc.match_substring(array, "\x00")).as_py():
        array = pc.replace_substring(array, "\x00", "\\x00")
    return array


def _may_hold_nul(array: pa.Array) -> bool:
    """Whether the data buffer of a large-string array has a zero byte anywhere."""
    data = array.buffers()[2] if len(array) else None
    return data is not None and data.size > 0 and int(np.frombuffer(data, dtype=np.uint8).min()) == 0


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values (ints, strs, None) for the DB-API.

    Column by column, not ``astype(object).where(...).to_dict``: a night's small frames paid
    pandas' fixed costs, ~4x this (docs/PERFORMANCE.md «Session 21: the suite»)."""
    columns = list(frame.columns)
    values = [_plain(frame[c]) for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _plain(column: pd.Series) -> list:
    """A column's values as Python objects, None where missing (NaN, NA, NaT alike)."""
    values = column.to_numpy(dtype=object)
    missing = column.isna().to_numpy()
    if missing.any():
        values = values.copy()  # an object column's array is pandas' own, read-only
        values[missing] = None
    return values.tolist()
