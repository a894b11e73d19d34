"""Gathering the night's report data from the database and handing it to ``reports``."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from domain.agent_money import agent_money_rows
from domain.cashbridge import CashBridge
from domain.codes import Code
from domain.statuses import RegisterStatus, TieStatus
from domain.tieout import quarantine_note
from rkc.cases import CaseSummary, sync_cases
from rkc.config import Config
from rkc.workfiles import NightStore, PlanKind
from sql.agent_money import agent_balances, agent_items
from sql.cash import bank_figures
from sql.discrepancies import night_discrepancies_for_report, unclaimed_transfers
from sql.engine import is_postgres
from sql.gis_export import rejected_items
from sql.meters import night_meter_readings
from sql.queries import payments_in_suspense
from sql.registers import night_registers, quarantined_registers
from sql.statistics import analyze_if_outgrown
from sql.transfers import night_tieout

REGISTER_FIELDS = ["register_id", "file", "channel", "format", "status", "records", "non_payment_lines", "lines",
                   "rejected_lines", "amount_total", "posted", "suspense", "rejected", "duplicate",
                   "quarantined"]  # fmt: skip
QUARANTINE_LOOKBACK_DAYS = 7  # an unclaimed п/п is compared with the registers quarantined this long before
NOT_RECEIVED = "реестр не получен"  # domain.tieout's words for a п/п that no register claims


def write_report(
    config: Config, engine: Engine, run_date: date, registers: list[dict], work_dir: Path,
    inbox: list[dict] | None = None, methods: pd.DataFrame | None = None, night: pd.DataFrame | None = None,
) -> dict[str, str]:  # fmt: skip
    """Write the night's discrepancy report (XLSX and HTML) into ``out/<date>/``; return their paths.
    ``registers`` are the night's (``sql.registers.night_registers``), with their bridge; ``inbox``
    what this run left in the inboxes or quarantined unread (``rkc.inbox.InboxEntry.to_dict``);
    ``methods`` the night's payments by method (``rkc.summary.methods_of_night``) and ``night`` its
    discrepancies (``sql.discrepancies.night_discrepancies_for_report``), each read when absent."""
    from reports.run_report import RunReportData, write_run_report
    from rkc.summary import methods_of_night

    if methods is None:
        methods = methods_of_night(engine, run_date)

    frame = pd.DataFrame(registers, columns=[*REGISTER_FIELDS, "sha256"])
    frame["payments"] = frame["lines"] - frame["rejected_lines"]
    frame["residual"] = frame["amount_total"] - frame[
        ["posted", "suspense", "rejected", "duplicate", "quarantined"]
    ].sum(axis=1)
    with engine.connect() as conn:
        tieout = _tieout(conn, run_date)
        if night is None:
            night = night_discrepancies_for_report(conn, run_date)
        proposals = _proposals(conn, [NightStore(work_dir).plan(r["sha256"], PlanKind.PROPOSALS) for r in registers])
        meters = night_meter_readings(conn, run_date)
        quarantined = quarantined_registers(conn, run_date - timedelta(days=QUARANTINE_LOOKBACK_DAYS), run_date)
        gis_rejected = rejected_items(conn)  # until handled, every night's report lists them
        figures = bank_figures(conn, config.center_account) if config.center_account else None
        agent_money = agent_money_rows(agent_balances(conn), agent_items(conn, config.money_from), run_date)
    discrepancies = night.drop(columns=["id", "sha256", "difference"])
    discrepancies, tieout = _quarantine_notes(discrepancies, tieout, quarantined)
    data = RunReportData(run_date, frame.drop(columns="sha256"), tieout, discrepancies, proposals,
                         inbox=pd.DataFrame(inbox or []), meters=meters, gis_rejected=gis_rejected,
                         channel_names={n: c.agent_name for n, c in config.channels.items()},
                         cash_bridge=CashBridge(figures).lines() if figures else None,
                         agent_money=agent_money, methods=methods)  # fmt: skip
    xlsx, html = write_run_report(data, config.out / run_date.isoformat(), html_rows=config.html_rows)
    return {"xlsx": str(xlsx), "html": str(html)}


def _quarantine_notes(
    discrepancies: pd.DataFrame, tieout: pd.DataFrame, quarantined: list[dict]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A REGISTER_MISSING п/п that looks like the payment of a quarantined register says so, in the
    discrepancy's description and in the tie-out sheet, instead of «реестр не получен»."""
    if not quarantined:
        return discrepancies, tieout
    missing = discrepancies.index[discrepancies["code"].astype(object) == Code.REGISTER_MISSING.value]
    if not len(missing):
        return discrepancies, tieout
    days = pd.to_datetime(discrepancies.loc[missing, "paid_date"], errors="coerce")
    details = discrepancies["detail"].astype(object)
    for i, day in zip(missing, days, strict=True):
        row = discrepancies.loc[i]
        amount = None if pd.isna(row["amount"]) else int(row["amount"])
        note = quarantine_note(row["operation_id"], None if pd.isna(day) else day.date(), amount, quarantined)
        if note:
            old = str(details[i])
            details[i] = old.replace(NOT_RECEIVED, note) if NOT_RECEIVED in old else f"{old}; {note}"
            tieout["rule"] = tieout["rule"].astype(object).replace(old, details[i])
    return discrepancies.assign(detail=details), tieout


def _tieout(conn, run_date: date) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Every register of tonight, still open, or tied tonight by a statement read tonight (a п/п
    that came late), and the transfers no register claims."""
    registers = night_tieout(conn, run_date)
    missing = unclaimed_transfers(conn, run_date, Code.REGISTER_MISSING.value)
    frame = pd.concat([registers, missing], ignore_index=True) if len(missing) else registers
    frame["difference"] = (frame["transfer_amount"] - frame["net_amount"]).astype("Int64")
    for column in ("register_id", "net_amount", "transfer_amount"):
        frame[column] = frame[column].astype("Int64")
    frame["status"] = frame["status"].fillna(TieStatus.TRANSFER_MISSING.value)
    return frame


def _proposals(conn, files: list[Path]) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The near-miss proposals of the night's registers (from whichever run decided them), for
    the payments stored and still in suspense (their ids were reserved when the night was decided)."""
    from domain.nearmiss import PROPOSAL_COLUMNS

    missing = [f.name for f in files if not f.is_file()]
    if missing:  # the work directory was cleared: the report goes out without those proposals
        logging.getLogger("rkc.report").warning("near-miss proposals not found (work files deleted?): %s",
                                                ", ".join(missing))  # fmt: skip
    found = [pd.read_parquet(f) for f in files if f.is_file()]
    if not found or all(f.empty for f in found):
        return pd.DataFrame(columns=PROPOSAL_COLUMNS)
    proposals = pd.concat(found, ignore_index=True)
    waiting = payments_in_suspense(conn, proposals["payment_id"])
    proposals = proposals[proposals["payment_id"].isin(waiting)].reset_index(drop=True)
    return proposals[PROPOSAL_COLUMNS].astype({"payment_id": "int64"})


def write_report_and_cases(
    config: Config, engine: Engine, run_date: date, registers: list[dict], work_dir: Path,
    inbox: list[dict] | None = None, methods: pd.DataFrame | None = None,
) -> tuple[dict[str, str], CaseSummary]:  # fmt: skip
    """The night's report (``write_report``) and the workbench's cases following it (``sync_cases``),
    from one read of the night's discrepancies (hundreds of thousands of rows, read once instead of
    twice). On PostgreSQL the cases are opened while the report is written: the server's index
    upkeep and the workbook's zlib each take a core."""
    with engine.begin() as conn:
        analyze_if_outgrown(conn, "discrepancy")  # a first big night: the join below planned on its rows
        night = night_discrepancies_for_report(conn, run_date)
    with ThreadPoolExecutor(max_workers=1) as pool:
        opening = pool.submit(sync_cases, config, engine, run_date, night) if is_postgres(engine) else None
        files = write_report(config, engine, run_date, registers, work_dir, inbox=inbox, methods=methods, night=night)
        cases = opening.result() if opening else sync_cases(config, engine, run_date, night)
    return files, cases


def night_outcomes(engine: Engine, run_date: date) -> tuple[list[dict], list[dict]]:
    """The night's committed registers (posted or quarantined) and those refused as unreadable,
    each with its bridge (``sql.registers.night_registers``): what the report and summary cover."""
    with engine.connect() as conn:
        return night_registers(conn, run_date), night_registers(conn, run_date, statuses=(RegisterStatus.BAD_FILE,))
