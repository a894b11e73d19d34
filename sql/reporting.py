"""Read-only queries behind the supplier statements: one set-based query each, for all suppliers.

A period is a calendar month ``YYYY-MM`` of ledger entry value dates. Amounts are returned in the
supplier accounts' natural sign (credit positive: what the center owes the supplier), see
``domain.ledger.natural_balance``. Nothing here writes.

The movements query returns every supplier posting of the period with what the supplier needs to
recognise it: the entry (kind, value date, description), the payment behind it when there is one
(LEFT JOIN: a correction may name no payment) and the accountant's resolution for a reclass. On
PostgreSQL it streams through ``COPY`` into Arrow (``read_text_frame``); the period bounds are
validated dates written into the query as literals so that path needs no bind parameters.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, text

from sql.copy_out import copy_text
from sql.engine import is_postgres
from sql.queries import read_frame

SUPPLIER_PREFIX = "supplier:"
MOVEMENT_COLUMNS = [
    "inn", "entry_id", "leg", "kind", "value_date", "payment_id", "reverses_id", "description", "channel",
    "operation_id", "paid_date", "account_raw", "uip", "matched_uip", "resolved_uip", "payer", "address",
    "service", "amount", "method",
]  # fmt: skip
_TEXT = (
    "inn", "kind", "value_date", "description", "channel", "operation_id", "paid_date", "account_raw", "uip",
    "matched_uip", "resolved_uip", "payer", "address", "service", "method",
)  # fmt: skip


def read_text_frame(conn: Connection, query: str, strings: tuple[str, ...]) -> pd.DataFrame:
    """A query's rows with the ``strings`` columns as Arrow-backed text (pandas ``str``), never objects.

    PostgreSQL streams ``COPY … TO STDOUT`` into pyarrow's CSV reader; the text columns stay in
    Arrow memory, which the reports hand to pyarrow compute without converting 2M Python strings.
    """
    if not is_postgres(conn):
        frame = pd.read_sql_query(text(query), conn)
    else:
        csv = copy_text(conn.connection.driver_connection, f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)")  # type: ignore[arg-type]
        convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in strings}, strings_can_be_null=True)
        frame = pacsv.read_csv(pa.BufferReader(pa.py_buffer(csv)), convert_options=convert).to_pandas()
    for column in strings:
        frame[column] = frame[column].astype("str")
    return frame


def period_bounds(period: str) -> tuple[date, date]:
    """First day of the month ``YYYY-MM`` and first day of the next; ValueError for anything else."""
    if not isinstance(period, str) or not re.fullmatch(r"\d{4}-\d{2}", period):
        raise ValueError(f"period must be YYYY-MM, got {period!r}")
    year, month = int(period[:4]), int(period[5:])
    start = date(year, month, 1)  # ValueError for month 13 etc.
    end = date(year + month // 12, month % 12 + 1, 1)
    return start, end


def supplier_directory(conn: Connection) -> pd.DataFrame:
    """The suppliers' details: ``inn``, ``name``, ``kpp``, ``bank_account``, ``bic`` (text)."""
    query = "SELECT inn, name, kpp, bank_account, bic FROM supplier ORDER BY inn"
    return read_frame(conn, query, strings=("inn", "name", "kpp", "bank_account", "bic"))


def supplier_period_balances(conn: Connection, period: str) -> pd.DataFrame:
    """Per supplier account with postings: ``inn``, ``opening`` (everything before the period) and
    ``closing`` (everything through its last day), in kopecks, natural sign, and ``postings``: how
    many it has in the period (what its statement's movements number).

    Both are the stored running balance less what was posted from the period's first (or the next
    month's first) day on, in one statement (one snapshot, as postings and balances are written in
    one transaction): a month's statements read that month's postings and later ones, not the
    years before it. ``rkc ledger check`` holds the stored balances to the postings."""
    frame = read_frame(conn, period_balances_sql(period), strings=("inn",))
    # Postings are signed debit-positive; a supplier account is credit-normal.
    return pd.DataFrame(
        {
            "inn": frame["inn"].astype(object),
            "opening": -frame["before_start"].fillna(0).astype("int64"),
            "closing": -frame["before_end"].fillna(0).astype("int64"),
            "postings": frame["in_period"].fillna(0).astype("int64"),
        }
    )


def period_balances_sql(period: str) -> str:
    """The query of ``supplier_period_balances`` (signed sums before the period and before its end)."""
    start, end = period_bounds(period)
    return (
        "SELECT SUBSTR(b.account, 10) AS inn,"  # noqa: S608 — the only literals are datetime.date values
        " b.balance - COALESCE(p.since_start, 0) AS before_start, b.balance - COALESCE(p.since_end, 0) AS before_end,"
        " p.in_period"
        " FROM ledger_balance b LEFT JOIN (SELECT account, SUM(amount) AS since_start,"
        f" SUM(CASE WHEN value_date >= '{end.isoformat()}' THEN amount ELSE 0 END) AS since_end,"
        f" SUM(CASE WHEN value_date < '{end.isoformat()}' THEN 1 ELSE 0 END) AS in_period"
        f" FROM ledger_posting WHERE value_date >= '{start.isoformat()}' AND account LIKE '{SUPPLIER_PREFIX}%'"
        " GROUP BY account) p ON p.account = b.account"
        f" WHERE b.account LIKE '{SUPPLIER_PREFIX}%'"
    )


def supplier_movements(conn: Connection, period: str) -> pd.DataFrame:
    """Every supplier posting with a value date in the period (``MOVEMENT_COLUMNS``), amount in the
    natural sign (a payment received is positive, its reversal negative), ordered by supplier,
    value date, entry and leg."""
    return typed_movements(read_text_frame(conn, movements_sql(period), _TEXT))


def typed_movements(frame: pd.DataFrame) -> pd.DataFrame:
    """Movements as read (text columns as pandas ``str``) typed and sorted: ``MOVEMENT_COLUMNS``,
    ids and amounts int64 (nullable ids Int64), dates ISO text, by supplier, value date, entry, leg."""
    for column in _TEXT:
        frame[column] = frame[column].astype("str")
    for column in ("entry_id", "leg", "amount"):
        frame[column] = frame[column].astype("int64")
    for column in ("payment_id", "reverses_id"):
        frame[column] = pd.array(frame[column], dtype="Int64")
    for column in ("value_date", "paid_date"):  # ISO text on both databases (SQLite may add a time)
        frame[column] = frame[column].str.slice(0, 10)
    # Sorted on integer codes (text sorts are the slow part at two million rows).
    inn = pd.factorize(frame["inn"], sort=True)[0]
    day = pd.factorize(frame["value_date"], sort=True)[0]
    order = np.lexsort((frame["leg"].to_numpy(), frame["entry_id"].to_numpy(), day, inn))
    if (order == np.arange(len(order))).all():  # sorted by the server already: no copy of every column
        return frame.reset_index(drop=True)[MOVEMENT_COLUMNS]
    return frame.take(order).reset_index(drop=True)[MOVEMENT_COLUMNS]


PAYMENT_MOVEMENT_COLUMNS = ("channel", "operation_id", "paid_date", "account_raw", "uip", "matched_uip", "payer",
                            "address", "method")  # fmt: skip
_MOVEMENT_EXPRESSIONS = {"inn": "SUBSTR(p.account, 10)", "entry_id": "p.entry_id", "leg": "p.leg", "kind": "e.kind",
                         "value_date": "e.value_date", "payment_id": "e.payment_id", "reverses_id": "e.reverses_id",
                         "description": "e.description", "resolved_uip": "r.target_uip", "service": "p.service",
                         "amount": "-p.amount"} | {c: f"pay.{c}" for c in PAYMENT_MOVEMENT_COLUMNS}  # fmt: skip


def movements_sql(period: str, *, payments: bool = True) -> str:
    """The query of ``supplier_movements``: the month's supplier legs (its partition, on
    PostgreSQL) joined to their entries (by the entries' value-date index), payments and resolutions.
    Without ``payments`` the payments' columns (``PAYMENT_MOVEMENT_COLUMNS``) are left out, and so is
    their join: the caller joins them (``sql.statement_spill``)."""
    columns = [c for c in MOVEMENT_COLUMNS if payments or c not in PAYMENT_MOVEMENT_COLUMNS]
    return (
        "SELECT " + ", ".join(f"{_MOVEMENT_EXPRESSIONS[c]} AS {c}" for c in columns)  # noqa: S608
        + " FROM ledger_posting p JOIN ledger_entry e ON e.id = p.entry_id"
        + (" LEFT JOIN payment pay ON pay.id = e.payment_id" if payments else "")
        + " LEFT JOIN resolution r ON r.entry_id = e.id"
        + f" WHERE p.account LIKE '{SUPPLIER_PREFIX}%'"
        + f" AND {in_month(period, 'p.value_date')} AND {in_month(period, 'e.value_date')}"
    )


def in_month(period: str, column: str = "value_date") -> str:
    """The condition that ``column`` (a date) falls in ``period``: its bounds validated dates
    written as literals (PostgreSQL then prunes the postings' partitions when planning)."""
    start, end = (d.isoformat() for d in period_bounds(period))
    return f"{column} >= '{start}' AND {column} < '{end}'"
