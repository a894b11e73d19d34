"""Bulk writes: COPY on PostgreSQL, executemany elsewhere; never row-by-row ORM adds."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import Connection, text


def bulk_insert(conn: Connection, table: str, frame: pd.DataFrame, columns: Sequence[str]) -> int:
    """Insert ``frame[columns]`` into ``table`` in bulk and return the row count.

    PostgreSQL gets one ``COPY … FROM STDIN`` in CSV form; other databases get one executemany.
    NULLs travel as empty unquoted fields, so empty strings become NULL on PostgreSQL.
    """
    if frame.empty:
        return 0
    cols = list(columns)
    if conn.dialect.name == "postgresql":
        buffer = io.StringIO()
        frame[cols].to_csv(buffer, index=False, header=False, na_rep="")
        driver = conn.connection.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            names = ", ".join(cols)
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())
        return len(frame)
    records = _records(frame[cols])
    placeholders = ", ".join(f":{c}" for c in cols)
    conn.execute(text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({placeholders})"), records)  # noqa: S608
    return len(frame)


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values (ints, strs, None) for the DB-API."""
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict("records")
