"""Supplier statements of a month: read the ledger's movements and balances, hand them to the renderer."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Connection, Engine

from reports.statements import StatementData, render_statements
from sql.reporting import period_bounds, supplier_directory, supplier_movements, supplier_period_balances


def statement_data(conn: Connection, period: str) -> StatementData:
    """Every supplier's details, balances and postings for ``period`` (``YYYY-MM``; ValueError
    for anything else): three set-based queries for all suppliers."""
    start, _ = period_bounds(period)
    return StatementData(period, start, supplier_directory(conn), supplier_period_balances(conn, period),
                         supplier_movements(conn, period))  # fmt: skip


def write_statements(conn_or_engine: Connection | Engine, period: str, out_root: Path,
                     channel_names: Mapping[str, str] | None = None) -> list[Path]:  # fmt: skip
    """Write every supplier's statement for ``period`` (``YYYY-MM``) under ``out_root``; return the
    paths written (``reports.statements.render_statements``)."""
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            data = statement_data(conn, period)
    else:
        data = statement_data(conn_or_engine, period)
    return render_statements(data, out_root, channel_names)
