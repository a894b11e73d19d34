"""Discrepancies (``discrepancy``): what a night found, written in bulk and read for its report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
from sqlalchemy import Connection, bindparam, text

from sql.bulk import bulk_insert
from sql.queries import read_frame

REPORT_STRINGS = ("code", "channel", "file", "operation_id", "account_raw", "uip", "payer", "address", "detail",
                  "raw")  # fmt: skip


def add_discrepancies(conn: Connection, rows: pd.DataFrame, columns: Sequence[str] | None = None) -> int:
    """Insert ``rows`` (their ``columns``, all by default, named as ``discrepancy``'s; the rest left
    NULL) in bulk; return their count."""
    return bulk_insert(conn, "discrepancy", rows, list(rows.columns if columns is None else columns))


def clear_codes(conn: Connection, run_date: date, codes: Sequence[str]) -> None:
    """Delete the night's discrepancies of ``codes``: those stating a state, written again whole
    every time the state is judged."""
    statement = text("DELETE FROM discrepancy WHERE run_date = :d AND code IN :codes")
    conn.execute(statement.bindparams(bindparam("codes", expanding=True)), {"d": run_date, "codes": list(codes)})


def counts_by_code(conn: Connection, run_date: date) -> dict[str, int]:
    """How many discrepancies of each code the night recorded."""
    rows = conn.execute(
        text("SELECT code, COUNT(*) FROM discrepancy WHERE run_date = :d GROUP BY code ORDER BY code"),
        {"d": run_date},
    ).all()
    return {code: int(count) for code, count in rows}


def night_discrepancies_for_report(conn: Connection, run_date: date) -> pd.DataFrame:
    """Every discrepancy of the night with its provenance, in id order (the ``id`` column kept), its
    register's ``sha256`` and, for a matched payment, paid minus the ПД's total (``difference``: the
    current version's total, which the charges import sums from its service lines, so no line is
    summed again here). One read serves the report and the cases (``rkc.cases.sync_cases``).

    Text stays in Arrow: hundreds of thousands of rows with their raw lines. Sorted here, not by
    the server, whose ORDER BY spilled to disk (work_mem); the rows mostly arrive in order anyway."""
    frame = read_frame(
        conn,
        "SELECT d.code, d.register_id, d.payment_id, d.channel, d.file, d.line_no, d.operation_id, d.paid_date,"
        " d.account_raw, d.uip, d.payer, d.address, d.amount, d.detail, d.raw, d.id, r.sha256,"
        " p.amount - v.total AS difference"
        " FROM discrepancy d LEFT JOIN register r ON r.id = d.register_id"
        " LEFT JOIN payment p ON p.id = d.payment_id LEFT JOIN payment_document v ON v.uip = p.matched_uip"
        " WHERE d.run_date = :d",
        {"d": run_date},
        strings=(*REPORT_STRINGS, "sha256"),
        arrow=True,
    )
    if not frame["id"].is_monotonic_increasing:
        frame = frame.sort_values("id", kind="stable", ignore_index=True)
    for column in ("register_id", "payment_id", "line_no", "amount", "difference"):
        frame[column] = frame[column].astype("Int64")
    return frame


def unclaimed_transfers(conn: Connection, run_date: date, code: str) -> pd.DataFrame:
    """The night's п/п no register claims (discrepancies of ``code``, REGISTER_MISSING), as rows of
    the tie-out sheet: transfer number, date, amount, payer, status and rule."""
    return pd.read_sql_query(
        text(
            "SELECT NULL AS register_id, operation_id AS transfer_number, paid_date AS transfer_date,"
            " amount AS transfer_amount, payer AS payer_name, code AS status, detail AS rule"
            " FROM discrepancy WHERE run_date = :d AND code = :c"
        ),
        conn,
        params={"d": run_date, "c": code},
    )
