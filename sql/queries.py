"""Reads the nightly decision needs: stored charges, keys already posted, earlier payments."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

from domain.records import CHARGE_COLUMNS
from sql.bulk import staged
from sql.copy_out import copy_text
from sql.engine import is_postgres

PAYMENT_KEY = ["channel", "operation_id", "occurrence"]
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")  # SQLAlchemy's :name, not PostgreSQL's ::cast


def read_frame(
    conn: Connection, query: str, params: dict | None = None, *, strings: tuple[str, ...] = (), arrow: bool = False
) -> pd.DataFrame:
    """A query's result as a DataFrame; PostgreSQL streams it by ``COPY … TO STDOUT`` (much faster
    than row fetching for millions of rows). Columns in ``strings`` stay text (leading zeros): Python
    objects (None for NULL), or with ``arrow`` pandas ``str`` columns that keep the text in Arrow
    (for millions of rows: a fraction of the memory of ``str`` objects)."""
    if not is_postgres(conn):
        # numpy_nullable: integer columns with NULLs come as Int64 straight from the Python ints
        frame = pd.read_sql_query(text(query), conn, params=params, dtype_backend="numpy_nullable")
        for column in frame.columns:
            if column in strings:
                continue
            values = frame[column]
            if isinstance(values.dtype, pd.Int64Dtype) and not values.isna().any():
                frame[column] = values.astype("int64")
            elif isinstance(values.dtype, pd.StringDtype):  # SQLite hands dates back as text, too
                frame[column] = values.astype(object).where(values.notna(), None)
        for column in strings:
            frame[column] = frame[column].astype("str" if arrow else object)
            if not arrow:
                frame[column] = frame[column].where(frame[column].notna(), None)
        return frame
    # COPY takes no server-side parameters: psycopg binds ``%(name)s`` on the client, safely quoted
    statement = _NAMED.sub(r"%(\1)s", query.replace("%", "%%")) if params else query
    csv = copy_text(conn.connection.driver_connection, f"COPY ({statement}) TO STDOUT WITH (FORMAT csv, HEADER)",
                    params)  # type: ignore[arg-type]  # fmt: skip
    convert = pacsv.ConvertOptions(column_types={c: "string" for c in strings}, strings_can_be_null=True)
    table = pacsv.read_csv(pa.BufferReader(pa.py_buffer(csv)), convert_options=convert)
    frame = _exact_ints(table)
    if arrow:
        return frame
    for column in strings:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _exact_ints(table: pa.Table) -> pd.DataFrame:
    """``table.to_pandas()`` where integer columns holding NULLs become nullable ``Int64`` instead of
    float (amounts and ids stay exact), and the others plain ``int64``."""
    frame = table.to_pandas(types_mapper=lambda t: pd.Int64Dtype() if pa.types.is_integer(t) else None)
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_integer(column.type) and column.null_count == 0:
            frame[name] = frame[name].astype("int64")
    return frame


def load_charges(
    conn: Connection, columns: Sequence[str] = tuple(CHARGE_COLUMNS), *, versions: bool = False
) -> pd.DataFrame:
    """Every current ПД's service lines as a charges frame (``CHARGE_COLUMNS``, or only ``columns``
    of them; with ``versions`` also the ПД's ``version``), in no particular order: the charge index
    orders lines itself (ПД, INN, service, amount), and sorting a million lines on the server cost
    ~1 s a night. One statement: lines and versions come from one snapshot, whatever an import
    commits meanwhile. Text stays in Arrow (pandas ``str``): millions of lines."""
    unknown = set(columns) - set(CHARGE_COLUMNS)
    if unknown:
        raise ValueError(f"unknown charge columns: {sorted(unknown)}")
    source = {c: ("l." if c in ("supplier_inn", "service", "amount") else "d.") + c for c in CHARGE_COLUMNS}
    wanted = [source[c] for c in columns] + (["d.version"] if versions else [])
    query = (
        f"SELECT {', '.join(wanted)}"  # noqa: S608 - names from CHARGE_COLUMNS only
        " FROM service_line l JOIN payment_document d ON d.uip = l.uip AND d.version = l.version"
    )
    frame = read_frame(conn, query, strings=tuple(c for c in columns if c != "amount"), arrow=True)
    for number in ("amount", "version"):
        if number in frame.columns:
            frame[number] = frame[number].astype("int64")
    return frame[list(columns) + (["version"] if versions else [])]


def documents_at_addresses(conn: Connection, keys: Sequence[str]) -> pd.DataFrame:
    """The stored ПД whose address in normal form (``address_key``) is one of ``keys``: ``uip``,
    ``account``, ``period``, ``address_key``. The keys are staged and joined on the key's index."""
    columns = ["uip", "account", "period", "address_key"]
    keys = sorted({k for k in keys if k})
    if not keys:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    with staged(conn, "probe_address", pd.DataFrame({"address_key": keys}), {"address_key": "TEXT"}):
        found = pd.read_sql_query(
            text(
                "SELECT d.uip, d.account, d.period, d.address_key FROM probe_address k"
                " JOIN payment_document d ON d.address_key = k.address_key"
            ),
            conn,
        )
    return found.astype(dict.fromkeys(columns, object))


def posted_keys(conn: Connection, keys: pd.DataFrame) -> pd.DataFrame:
    """Which of ``keys`` (channel, operation_id, occurrence) are already stored as payments."""
    return stored_payments(conn, keys)[PAYMENT_KEY]


def stored_payments(conn: Connection, keys: pd.DataFrame) -> pd.DataFrame:
    """The payments stored under ``keys`` (channel, operation_id, occurrence): the key, ``id`` and
    ``in_suspense``. The keys are staged and joined on the payment key's index: the payment table
    holds every night ever posted."""
    if keys.empty:
        return keys.iloc[0:0][PAYMENT_KEY].assign(id=pd.Series(dtype="int64"), in_suspense=pd.Series(dtype=bool))
    with staged(conn, "probe_key", keys, {"channel": "TEXT", "operation_id": "TEXT", "occurrence": "INTEGER"}):
        found = pd.read_sql_query(
            text(
                "SELECT k.channel, k.operation_id, k.occurrence, p.id,"
                " CASE WHEN p.matched_uip IS NULL THEN 1 ELSE 0 END AS in_suspense FROM probe_key k JOIN payment p"
                " ON p.channel = k.channel AND p.operation_id = k.operation_id AND p.occurrence = k.occurrence"
            ),
            conn,
        )
    found["operation_id"] = found["operation_id"].astype(object)
    return found.astype({"id": "int64", "in_suspense": bool})


def payments_in_suspense(conn: Connection, ids: pd.Series) -> pd.Series:
    """Which of the payment ``ids`` are stored and still in suspense (no ПД matched). The ids are
    staged and joined on the payment table's primary key."""
    if ids.empty:
        return pd.Series(dtype="int64")
    probe = pd.DataFrame({"id": pd.unique(ids.to_numpy(dtype="int64"))})
    with staged(conn, "probe_id", probe, {"id": "BIGINT"}):
        found = pd.read_sql_query(
            text("SELECT p.id FROM probe_id k JOIN payment p ON p.id = k.id WHERE p.matched_uip IS NULL"), conn
        )
    return found["id"].astype("int64")


def previous_payments(conn: Connection, dates: list[str]) -> pd.DataFrame:
    """Payments stored earlier with a paid date among ``dates`` (not those of recalled registers), for
    cross-channel duplicates."""
    columns = ["channel", "uip", "account", "amount", "paid_date", "paid_time", "operation_id"]
    if not dates:
        return pd.DataFrame(columns=columns)
    params = {f"d{i}": d for i, d in enumerate(dates)}
    names = ", ".join(f":d{i}" for i in range(len(dates)))
    query = (
        "SELECT channel, COALESCE(matched_uip, uip) AS uip, account, amount, paid_date, paid_time, operation_id"  # noqa: S608
        f" FROM payment WHERE paid_date IN ({names})"
        # a recalled register's payments were undone (rkc/reverse.py): they are no copy of anything
        " AND register_id NOT IN (SELECT id FROM register WHERE status = 'recalled')"
    )
    frame = pd.read_sql_query(text(query), conn, params=params)
    frame["paid_date"] = frame["paid_date"].astype(str)
    for column in ("channel", "uip", "account", "paid_time", "operation_id"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame[columns]
