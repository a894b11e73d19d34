"""Reads the nightly decision needs: stored charges, keys already posted, earlier payments."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

from domain.records import CHARGE_COLUMNS
from sql.bulk import bulk_insert


def read_frame(
    conn: Connection, query: str, params: dict | None = None, *, strings: tuple[str, ...] = ()
) -> pd.DataFrame:
    """A query's result as a DataFrame; PostgreSQL streams it by ``COPY … TO STDOUT`` (much faster
    than row fetching for millions of rows). Columns in ``strings`` stay text (leading zeros)."""
    if conn.dialect.name != "postgresql" or params:
        frame = pd.read_sql_query(text(query), conn, params=params)
        for column in strings:
            frame[column] = frame[column].astype(object)
        return frame
    buffer = io.BytesIO()
    driver = conn.connection.driver_connection
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy,
    ):  # type: ignore[union-attr]
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    convert = pacsv.ConvertOptions(column_types={c: "string" for c in strings}, strings_can_be_null=True)
    table = pacsv.read_csv(buffer, convert_options=convert)
    frame = table.to_pandas()
    for column in strings:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def load_charges(conn: Connection) -> pd.DataFrame:
    """Every stored service line as a charges frame (``CHARGE_COLUMNS``), lines in ПД order."""
    query = (
        "SELECT d.uip, d.account_raw, d.account, d.period, l.supplier_inn, l.service, l.amount, d.payer, d.address"
        " FROM service_line l JOIN payment_document d ON d.uip = l.uip ORDER BY d.uip, l.line_no"
    )
    strings = ("uip", "account_raw", "account", "period", "supplier_inn", "service", "payer", "address")
    frame = read_frame(conn, query, strings=strings)
    frame["amount"] = frame["amount"].astype("int64")
    return frame[list(CHARGE_COLUMNS)]


def posted_keys(conn: Connection, keys: pd.DataFrame) -> pd.DataFrame:
    """Which of ``keys`` (channel, operation_id, occurrence) are already stored as payments."""
    if keys.empty:
        return keys.iloc[0:0][["channel", "operation_id", "occurrence"]]
    temp = "CREATE TEMPORARY TABLE" if conn.dialect.name == "postgresql" else "CREATE TEMP TABLE"
    conn.execute(text("DROP TABLE IF EXISTS probe_key"))
    conn.execute(text(f"{temp} probe_key (channel TEXT, operation_id TEXT, occurrence INTEGER)"))
    bulk_insert(conn, "probe_key", keys, ["channel", "operation_id", "occurrence"])
    found = pd.read_sql_query(
        text(
            "SELECT k.channel, k.operation_id, k.occurrence FROM probe_key k JOIN payment p"
            " ON p.channel = k.channel AND p.operation_id = k.operation_id AND p.occurrence = k.occurrence"
        ),
        conn,
    )
    conn.execute(text("DROP TABLE probe_key"))
    found["operation_id"] = found["operation_id"].astype(object)
    return found


def previous_payments(conn: Connection, dates: list[str]) -> pd.DataFrame:
    """Payments stored earlier with a paid date among ``dates``, for cross-channel duplicates."""
    columns = ["channel", "uip", "account", "amount", "paid_date", "paid_time", "operation_id"]
    if not dates:
        return pd.DataFrame(columns=columns)
    params = {f"d{i}": d for i, d in enumerate(dates)}
    names = ", ".join(f":d{i}" for i in range(len(dates)))
    query = (
        "SELECT channel, COALESCE(matched_uip, uip) AS uip, account, amount, paid_date, paid_time, operation_id"  # noqa: S608
        f" FROM payment WHERE paid_date IN ({names})"
    )
    frame = pd.read_sql_query(text(query), conn, params=params)
    frame["paid_date"] = frame["paid_date"].astype(str)
    for column in ("channel", "uip", "account", "paid_time", "operation_id"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame[columns]
