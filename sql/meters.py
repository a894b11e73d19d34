"""Meter readings given with payments: stored at posting (``meter_reading``), read for the report."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from sql.bulk import allocate_ids, bulk_insert
from sql.queries import read_frame

METER_COLUMNS = ["id", "payment_id", "account", "meter", "value"]
REPORT_COLUMNS = ["register_id", "file", "channel", "line_no", "payment_id", "account", "meter", "value"]


def meter_rows(payments: pd.DataFrame) -> pd.DataFrame:
    """One row per reading (``payment_id``, ``account``, ``meter``, ``value``) of ``payments``
    (``payment_id``, ``account``, ``meters``: a tuple of (meter, value) or None)."""
    has = payments[payments["meters"].map(bool, na_action="ignore").fillna(False).astype(bool)]
    if has.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in METER_COLUMNS[1:]})
    readings = has[["payment_id", "account", "meters"]].explode("meters", ignore_index=True)
    pairs = np.array(readings["meters"].tolist(), dtype=object).reshape(-1, 2)
    return pd.DataFrame({"payment_id": readings["payment_id"].to_numpy(dtype=np.int64),
                         "account": readings["account"].to_numpy(dtype=object),
                         "meter": pairs[:, 0], "value": pairs[:, 1]})  # fmt: skip


def store_meter_readings(conn: Connection, readings: pd.DataFrame) -> int:
    """Insert readings (``meter_rows``, ``payment_id`` the stored payment's id) in bulk, inside the
    caller's transaction (the register's posting, under its ledger lock); return how many."""
    if readings.empty:
        return 0
    ids = allocate_ids(conn, "meter_reading", len(readings))
    frame = readings.assign(id=np.asarray(ids, dtype=np.int64))
    return bulk_insert(conn, "meter_reading", frame, METER_COLUMNS)


def night_meter_readings(conn: Connection, run_date: date) -> pd.DataFrame:
    """The readings of the payments of the registers of ``run_date``, with their file and line."""
    return read_frame(
        conn,
        "SELECT r.id AS register_id, r.file, r.channel, p.line_no, m.payment_id, m.account, m.meter, m.value"
        " FROM meter_reading m JOIN payment p ON p.id = m.payment_id JOIN register r ON r.id = p.register_id"
        " WHERE r.run_date = :d ORDER BY r.id, p.line_no, m.id",
        {"d": run_date},
        strings=("file", "channel", "account", "meter", "value"),
    )
