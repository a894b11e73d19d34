"""Supplier statements of a month: read the ledger's movements and balances, hand them to the renderer."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Connection, Engine

from reports.act import Party, act_lines, write_act
from reports.statements import StatementData, render_statements, statement_dir
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


def write_acts(conn_or_engine: Connection | Engine, period: str, out_root: Path, center: Party) -> list[Path]:
    """Write the act of reconciliation of ``period`` for every supplier with movements or a balance,
    beside its statement (``act-<period>-<inn>.xlsx``); return the paths written."""
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            data = statement_data(conn, period)
    else:
        data = statement_data(conn_or_engine, period)
    names = dict(zip(data.directory["inn"].astype(str), data.directory["name"].astype(object), strict=True))
    balances = data.balances.set_index("inn")
    moves = {str(inn): frame for inn, frame in data.moves.groupby("inn", sort=True)}
    written = []
    for inn in sorted(set(moves) | set(balances.index[(balances["opening"] != 0) | (balances["closing"] != 0)])):
        opening, closing = (int(balances.at[inn, c]) if inn in balances.index else 0 for c in ("opening", "closing"))
        mine = moves.get(inn, data.moves.iloc[0:0])
        supplier = Party(str(names.get(inn) or inn), inn)
        path = statement_dir(out_root, period, inn) / f"act-{period}-{inn}.xlsx"
        written.append(write_act(path, data.start, center, supplier, opening, closing, act_lines(mine)))
    return written
