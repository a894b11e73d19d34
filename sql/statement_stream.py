"""A month's supplier movements streamed in groups of whole suppliers, for statements of any size.

``movement_groups`` reads the movements of ``sql.reporting.movements_sql`` ordered by supplier
account (optionally only the accounts in a range of inns) and yields frames of whole suppliers,
each sorted and typed as ``sql.reporting.supplier_movements`` returns the whole month: memory is
bounded by a group's rows and the largest supplier, not by the month. On PostgreSQL the rows come
through ``COPY … TO STDOUT`` read in a thread and parsed into Arrow a few megabytes at a time, so
the server, the parse and the caller's rendering overlap; SQLite reads in chunks of rows.

``export_snapshot`` / ``use_snapshot`` let processes that read ranges of suppliers see the same
snapshot as the connection that read the balances (PostgreSQL; ``REPEATABLE READ``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

from sql.copy_out import copy_blocks
from sql.engine import is_postgres
from sql.reporting import _TEXT, MOVEMENT_COLUMNS, SUPPLIER_PREFIX, movements_sql, typed_movements

GROUP_ROWS = 200_000  # rows a group holds at least (but the last): one supplier more may overflow it
_PARSE_BYTES = 16 << 20  # COPY text parsed into Arrow at a time
_SQLITE_ROWS = 100_000  # rows SQLite hands over at a time
_INTS = ("entry_id", "leg", "payment_id", "reverses_id", "amount")
_TYPES = {c: pa.string() for c in _TEXT} | {c: pa.int64() for c in _INTS}


class MovementOrderError(RuntimeError):
    """The movements did not come ordered by supplier: a bug in the query, never bad data."""


def ranged_movements_sql(period: str, postgres: bool, after: str | None, upto: str | None, *,
                         ordered: bool = True, payments: bool = True) -> str:  # fmt: skip
    """``movements_sql`` (with or without ``payments``) limited to supplier accounts with ``after`` <
    inn ≤ ``upto`` (either bound may be None; ``:after``, ``:upto``), ordered by account (byte order
    on both databases), value date, entry and leg unless not ``ordered``."""
    collate = ' COLLATE "C"' if postgres else ""  # SQLite compares text bytewise already
    query = movements_sql(period, payments=payments)
    if after is not None:
        query += f" AND p.account{collate} > :after"
    if upto is not None:
        query += f" AND p.account{collate} <= :upto"
    if not ordered:
        return query
    return query + f" ORDER BY p.account{collate}, e.value_date, p.entry_id, p.leg"  # as supplier_movements sorts


def range_params(after: str | None, upto: str | None) -> dict[str, str]:
    """The bind parameters of ``ranged_movements_sql`` for a range of inns."""
    return {k: SUPPLIER_PREFIX + v for k, v in (("after", after), ("upto", upto)) if v is not None}


def movement_groups(conn: Connection, period: str, after: str | None = None, upto: str | None = None,
                    rows: int = GROUP_ROWS) -> Iterator[pd.DataFrame]:  # fmt: skip
    """The period's movements of suppliers with ``after`` < inn ≤ ``upto`` as frames of whole
    suppliers (``MOVEMENT_COLUMNS``, sorted by inn, value date, entry and leg), in inn order, each of
    at least ``rows`` rows but the last. ``MovementOrderError`` if the rows come out of order."""
    params = range_params(after, upto)
    query = ranged_movements_sql(period, is_postgres(conn), after, upto)
    batches = (
        (table.to_pandas() for table in copy_tables(conn, query, params))
        if is_postgres(conn)
        else _sqlite_batches(conn, query, params)
    )
    held: list[pd.DataFrame] = []
    complete = 0  # rows of ``held`` before the last supplier seen, which may go on in the next batch
    last: str | None = None
    for batch in batches:
        if batch.empty:
            continue
        inns = batch["inn"]
        first = str(inns.iloc[0])
        if (last is not None and first < last) or not inns.is_monotonic_increasing:
            raise MovementOrderError(f"movements of {period} are not ordered by supplier at {first}")
        last = str(inns.iloc[-1])
        cut = int((inns != last).sum())  # rows of the suppliers before ``last``: complete now
        if cut:
            complete = sum(len(h) for h in held) + cut
            held.append(batch.iloc[:cut])
            batch = batch.iloc[cut:]
            if complete >= rows:
                yield _sorted(held)
                held, complete = [], 0
        held.append(batch)
    if held:
        yield _sorted(held)


def _sorted(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One group: the frames joined, typed and sorted as ``supplier_movements`` returns them."""
    return typed_movements(pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0])


class _Stopped(Exception):
    """The caller stopped reading: the COPY is cancelled."""


def copy_tables(conn: Connection, query: str, params: dict[str, str],
                columns: Sequence[str] = MOVEMENT_COLUMNS) -> Iterator[pa.Table]:  # fmt: skip
    """The query's rows (``columns``, each a movement column: its type is the movements') through
    ``COPY`` (CSV), parsed ``_PARSE_BYTES`` at a time into Arrow tables; a thread reads the stream
    meanwhile (one message a row: the Python loop is the reader's main cost), at most two parsed
    tables ahead of the caller."""
    driver = conn.connection.driver_connection
    # COPY takes no server-side parameters: psycopg binds ``%(name)s`` on the client, safely quoted
    statement = query.replace("%", "%%").replace(":after", "%(after)s").replace(":upto", "%(upto)s")
    statement = statement if params else query
    parsed: queue.Queue[pa.Table | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()
    # One thread a parse: the reader's thread runs beside the renderer, and the ranges have processes
    # of their own; Arrow's pool spent twice the CPU for the same rows.
    read = pacsv.ReadOptions(column_names=list(columns), use_threads=False)
    convert = pacsv.ConvertOptions(column_types={c: _TYPES[c] for c in columns}, strings_can_be_null=True)

    def parse(text: bytearray) -> pa.Table:
        return pacsv.read_csv(pa.BufferReader(pa.py_buffer(text)), read_options=read, convert_options=convert)

    def reader() -> None:
        try:
            with (
                driver.cursor() as cursor,  # type: ignore[union-attr]
                cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)", params or None) as copy,
            ):
                for text in copy_blocks(driver, copy, _PARSE_BYTES):  # type: ignore[arg-type]
                    parsed.put(parse(text))
                    if stop.is_set():
                        raise _Stopped  # psycopg cancels the COPY and drains it: the connection stays usable
            parsed.put(None)
        except _Stopped:
            pass
        except BaseException as error:  # handed to the caller, which raises it
            parsed.put(error)

    thread = threading.Thread(target=reader, name="statement-copy", daemon=True)
    thread.start()
    try:
        while (item := parsed.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let a reader blocked on a full queue finish
            try:
                parsed.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()


def _sqlite_batches(conn: Connection, query: str, params: dict[str, str]) -> Iterator[pd.DataFrame]:
    """The query's rows in chunks (SQLite: the embedded database of small centers)."""
    yield from pd.read_sql_query(text(query), conn, params=params or None, chunksize=_SQLITE_ROWS)


def export_snapshot(conn: Connection) -> str | None:
    """The snapshot of ``conn``'s transaction for other sessions (PostgreSQL ``REPEATABLE READ``
    transaction; None on SQLite, whose readers are not shared across processes here)."""
    if not is_postgres(conn):
        return None
    return str(conn.execute(text("SELECT pg_export_snapshot()")).scalar_one())


def use_snapshot(conn: Connection, snapshot: str) -> None:
    """Make ``conn``'s new ``REPEATABLE READ`` transaction see ``snapshot`` (``export_snapshot``)."""
    conn.execute(text("SET TRANSACTION SNAPSHOT '" + snapshot.replace("'", "''") + "'"))
