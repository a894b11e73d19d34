"""Bulk writes: COPY on PostgreSQL, executemany elsewhere; never row-by-row ORM adds.

Also the allocation of id blocks, so that rows of several tables can be written by COPY with
their foreign keys already known instead of being read back.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

POSTING_LOCK = 0x726B63  # "rkc": one advisory lock serialises writers of the ledger on PostgreSQL


def lock_ledger(conn: Connection) -> None:
    """Serialise ledger writers for the rest of the transaction.

    PostgreSQL: a transaction-scoped advisory lock (re-entrant within the transaction). SQLite:
    the engine already opens every transaction with ``BEGIN IMMEDIATE``, which is the same thing.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": POSTING_LOCK})


def allocate_ids(conn: Connection, table: str, count: int) -> range:
    """Reserve ``count`` consecutive ids of ``table`` (call under ``lock_ledger``)."""
    if count <= 0:
        return range(0)
    if conn.dialect.name == "postgresql":
        last = conn.execute(
            text("SELECT setval(pg_get_serial_sequence(:t, 'id'), nextval(pg_get_serial_sequence(:t, 'id')) + :n - 1)"),
            {"t": table, "n": count},
        ).scalar_one()
        return range(int(last) - count + 1, int(last) + 1)
    top = conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one()  # noqa: S608
    return range(int(top) + 1, int(top) + 1 + count)


def bulk_insert(conn: Connection, table: str, frame: pd.DataFrame, columns: Sequence[str]) -> int:
    """Insert ``frame[columns]`` into ``table`` in bulk and return the row count.

    PostgreSQL gets one ``COPY … FROM STDIN`` of CSV written by pyarrow (NULL is an empty
    unquoted field, strings are quoted); other databases get one executemany.
    """
    if frame.empty:
        return 0
    cols = list(columns)
    if conn.dialect.name == "postgresql":
        buffer = io.BytesIO()
        arrow = pa.Table.from_pandas(_plain_strings(frame[cols]), preserve_index=False)
        pacsv.write_csv(arrow, buffer, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
        driver = conn.connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            names = ", ".join(cols)
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
                # PostgreSQL text cannot hold NUL, which raw lines from outside may carry: escape it
                # visibly. Only text can contain the byte, so replacing it in the CSV is exact.
                # Undecodable bytes kept in a raw line become U+FFFD rather than failing the COPY.
                data = buffer.getvalue()
                if b"\x00" in data:
                    data = data.replace(b"\x00", b"\\x00")
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError:
                    data = data.decode("utf-8", errors="replace").encode("utf-8")
                copy.write(data)
        return len(frame)
    placeholders = ", ".join(f":{c}" for c in cols)
    statement = text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({placeholders})")  # noqa: S608
    conn.execute(statement, _records(frame[cols]))
    return len(frame)


def _plain_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects before Arrow takes them.

    Handing pandas 3's Arrow-backed ``str`` columns straight to ``pa.Table.from_pandas`` produced
    corrupted bytes in the CSV (seen on the discrepancy rows of a nightly run); converting the text
    columns to objects first is the safe path and costs little next to the COPY itself.
    """
    text = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c].dtype) and frame[c].dtype != object]
    if not text:
        return frame
    return frame.astype({c: object for c in text})


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values (ints, strs, None) for the DB-API."""
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict("records")
