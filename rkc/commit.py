"""Posting one register of the night in one transaction, then filing it away.

Everything about a register (its row, its payments, their ledger entries, its discrepancies) is
committed together or not at all, so a run killed between two registers leaves no half-posted
register; the file is moved to the archive (or quarantine) only after the commit, and a file
found committed but not moved is finished by the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from domain.codes import Code
from domain.methods import PaymentMethod, UnknownMethod, unknown_details
from domain.records import PAYMENT_COLUMNS
from domain.statuses import Outcome, RegisterStatus
from rkc.accepted_registers import note_posted
from rkc.config import Config
from rkc.filing import file_away, file_or_find, filed_folder
from rkc.intake import BAD_FILE, DUPLICATE_FILE, RECOVERED, Intake
from rkc.night_plan import NightPlan, read_plan_payments
from rkc.workfiles import PlanKind, read_errors, read_payments, read_raw_lines
from sql.discrepancies import add_discrepancies
from sql.meters import meter_rows, store_meter_readings
from sql.posting import post_payments
from sql.registers import create_register, finish_register, register_outcome, set_stored_path
from sql.uow import UnitOfWork

# The intake columns posting stores (the services were already split by the decision step; the
# raw lines stay in the archived file and are read only for the lines that have a discrepancy).
# The meter readings are stored in a table of their own; of the method and the QR payload only the
# method read from them is stored (the decision step turned the payloads' findings into flags).
STORED_COLUMNS = [c for c in PAYMENT_COLUMNS
                  if c not in ("services", "meters", "raw", "method_raw", "qr", "qr_flag", "qr_detail")]  # fmt: skip
DISCREPANCY_COLUMNS = [
    "run_date", "code", "register_id", "payment_id", "channel", "file", "line_no", "operation_id", "paid_date",
    "account_raw", "uip", "payer", "address", "amount", "detail", "raw",
]  # fmt: skip


@dataclass(frozen=True)
class RegisterOutcome:
    """The bridge of one register and where its file went (JSON-able)."""

    file: str
    sha256: str
    channel: str
    format: str
    status: str
    register_id: int | None
    lines: int = 0
    rejected_lines: int = 0
    records: int = 0
    non_payment_lines: int = 0
    amount_total: int = 0
    posted: int = 0
    suspense: int = 0
    rejected: int = 0
    duplicate: int = 0
    quarantined: int = 0
    stored_path: str = ""
    reason: str = ""

    def to_dict(self) -> dict:
        """Plain dict for passing between tasks."""
        return asdict(self)


def commit_register(
    config: Config, engine: Engine, intake: Intake, plan: NightPlan | None, run_date: date,
    guard: Callable[[Connection], None] | None = None,
) -> RegisterOutcome:  # fmt: skip
    """Post (or quarantine, or skip) one file of the night and move it where it belongs, with its
    totals file (if it came with one) beside it. ``guard`` is called first in the register's
    transaction (the run lock's ``hold_for_posting``): raising, it posts nothing."""
    outcome = _commit_register(config, engine, intake, plan, run_date, guard)
    if intake.totals_path and outcome.stored_path:
        folder = Path(outcome.stored_path).parent
        file_or_find(Path(intake.totals_path), folder, None, intake.totals_sha256)
    return outcome


def _commit_register(
    config: Config, engine: Engine, intake: Intake, plan: NightPlan | None, run_date: date,
    guard: Callable[[Connection], None] | None = None,
) -> RegisterOutcome:  # fmt: skip
    with engine.connect() as conn:
        committed = register_outcome(conn, intake.sha256)
    if intake.status == RECOVERED:
        if committed is None:
            raise RuntimeError(f"{intake.name}: recovered, but no register has its content hash")
        return _finish_filing(config, engine, intake, run_date, committed, status="recovered")
    if intake.status == DUPLICATE_FILE:
        return _duplicate_file(config, engine, intake, run_date)
    if committed is not None and not committed["stored_path"] and not _refused_earlier(intake, committed, run_date):
        # A retry of this task: its commit went through, filing the file away did not.
        return _finish_filing(config, engine, intake, run_date, committed)
    if intake.status == BAD_FILE:
        return _bad_file(config, engine, intake, run_date)
    if plan is None:
        raise ValueError("a parsed register needs the night's plan")
    reason = plan.quarantined.get(intake.sha256)
    payments = read_plan_payments(plan, intake, STORED_COLUMNS)
    errors = read_errors(intake.errors_path)
    rejected = int(errors["amount"].fillna(0).sum())
    amount_total = int(payments["amount"].sum()) + rejected
    outcome_amount = payments.groupby("outcome")["amount"].sum()
    commission = int(payments["commission"].fillna(0).sum())  # the agent kept it on every line
    # What the report needs of the register's payments is taken before posting (the flagged lines,
    # the totals), then only the payments to post are kept: two registers posted at once must not
    # each hold their payments twice.
    flags = pd.read_parquet(plan.path(intake.sha256, PlanKind.FLAGS))
    register_rows = plan.register_flags.get(intake.sha256) or (
        [[Code.REGISTER_TOTAL_MISMATCH.value, reason]] if reason else []
    )
    rows = _discrepancy_rows(payments, flags, errors, intake, run_date, register_rows, amount_total,
                             [] if reason else _unknown_methods(intake))  # fmt: skip
    # Taken in payment id order (the ids were reserved in key order): posting then sends the rows as
    # they are, with no sorted copy of the register's text and no reordering of its entries.
    to_post = payments.take(_kept_in_id_order(payments))
    del payments
    # A payment dated out of range waits in suspense on the run date, never on its own future date.
    held = to_post["payment_id"].isin(flags.loc[flags["code"] == Code.DATE_OUT_OF_RANGE.value, "payment_id"])
    matched = to_post["outcome"] == Outcome.POSTED
    to_post = to_post.assign(
        matched_uip=to_post["matched_uip"].where(matched, None),
        document_version=to_post["document_version"].where(matched, pd.NA),  # the version the parts used
    )  # fmt: skip
    if held.any():
        to_post = to_post.assign(value_date=to_post["paid_date"].where(~held, run_date.isoformat()))
    if intake.channel in config.money_from:  # a ГИС ЖКХ channel without an agent: its bank owes the money
        to_post = to_post.assign(agent=config.money_from[intake.channel])
    del flags
    parts = pd.read_parquet(plan.path(intake.sha256, PlanKind.PARTS))
    splits = parts[parts["payment_id"].isin(to_post["payment_id"])]
    del parts
    with UnitOfWork(engine) as uow:
        if guard is not None:
            guard(uow.conn)
        status = RegisterStatus.QUARANTINED if reason else RegisterStatus.POSTED
        rid = create_register(uow.conn, file=intake.name, sha256=intake.sha256, channel=intake.channel,
                              fmt=intake.format, run_date=run_date, status=status,
                              declared=intake.declared_totals(), reason=reason,
                              replaces=intake.known_register_id)  # fmt: skip
        payment_ids = to_post["payment_id"].to_numpy()
        posted = to_post["outcome"].eq(Outcome.POSTED).to_numpy()
        amount = to_post["amount"].to_numpy()
        # Handed over, not shared: posting then holds the register's only copy and lets its text go
        # once it is stored (CPython moves a call's arguments into the called function's frame).
        handover = {"payments": to_post, "splits": splits}
        del to_post, splits
        # The payment ids were reserved when the night was decided: they are stored as they are.
        result = post_payments(uow.conn, rid, handover.pop("payments"), handover.pop("splits"), reserved=True)
        stored_ids = _stored_ids(result.ids)
        stored_now = np.isin(payment_ids, stored_ids)
        amounts = {
            "posted": int(amount[posted & stored_now].sum()),
            "suspense": int(amount[~posted & stored_now].sum()),
            # payments posted meanwhile by another run count as duplicates
            "duplicate": int(outcome_amount.get(Outcome.DUPLICATE, 0)) + int(amount[~stored_now].sum()),
            "quarantined": amount_total if reason else 0,
            "rejected": 0 if reason else rejected,
        }  # fmt: skip
        _store_meters(uow.conn, plan, intake, stored_ids)
        # Only a payment stored now is named (a duplicate's id names nothing stored).
        rows["payment_id"] = rows["payment_id"].where(rows["payment_id"].isin(stored_ids)).astype("Int64")
        rows["register_id"] = rid
        add_discrepancies(uow.conn, rows, DISCREPANCY_COLUMNS)
        finish_register(uow.conn, rid, lines=intake.lines, amount_total=amount_total, rejected_lines=len(errors),
                        records=intake.records, non_payment_lines=intake.non_payment_lines,
                        rejected_amount=rejected, posted_amount=amounts["posted"],
                        suspense_amount=amounts["suspense"], duplicate_amount=amounts["duplicate"],
                        quarantined_amount=amounts["quarantined"], commission_total=commission)  # fmt: skip
        if intake.accepted:  # an accepted register's lines: its acceptance is done (rkc.accepted_registers)
            note_posted(uow.conn, rid, run_date, amounts)
        uow.commit()
    where = config.quarantine if reason else config.archive
    if intake.source_filed:  # the payers' п/п of a statement filed when it was read: nothing to move
        stored = Path(intake.source_filed)
    else:
        stored = file_away(Path(intake.path), where / run_date.isoformat() / intake.channel, reason)
    _set_stored(engine, rid, stored)
    return RegisterOutcome(intake.name, intake.sha256, intake.channel, intake.format, status, rid, intake.lines,
                           len(errors), intake.records, intake.non_payment_lines, amount_total,
                           stored_path=str(stored), reason=reason or "", **amounts)  # fmt: skip


def _kept_in_id_order(payments: pd.DataFrame) -> np.ndarray:
    """Positions of the payments to post (matched or in suspense), in ascending ``payment_id``."""
    kept = np.flatnonzero(payments["outcome"].isin([Outcome.POSTED, Outcome.SUSPENSE]).to_numpy())
    ids = payments["payment_id"].to_numpy(dtype=np.int64)[kept]
    return kept if bool(np.all(ids[1:] > ids[:-1])) else kept[np.argsort(ids, kind="stable")]


def _store_meters(conn, plan: NightPlan, intake: Intake, stored_ids: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    """The meter readings of the payments this posting stored."""
    if read_payments(intake.payments_path, columns=["meters"])["meters"].isna().all():
        return  # most registers carry none: the accounts are not read
    payments = read_plan_payments(plan, intake, ["account", "meters"])
    stored = payments[payments["payment_id"].isin(stored_ids)]
    readings = meter_rows(stored[["payment_id", "account", "meters"]])
    store_meter_readings(conn, readings)


def _stored_ids(ids: pd.DataFrame | None) -> np.ndarray:
    """The ids of the payments a posting stored (the others were posted before)."""
    if ids is None or ids.empty:
        return np.empty(0, dtype=np.int64)
    return ids["id"].to_numpy(dtype=np.int64)


def _unknown_methods(intake: Intake) -> list[dict]:
    """UNKNOWN_METHOD rows of a register: the method values its channel does not know, one row per
    value (the most frequent first, the rest in one row), each with its payments' amount."""
    found = [UnknownMethod(raw, int(n), int(amount), PaymentMethod(taken)) for raw, n, amount, taken in
             intake.unknown_methods]  # fmt: skip
    return [{"code": Code.UNKNOWN_METHOD.value, "detail": detail, "amount": amount}
            for detail, amount in unknown_details(found)]  # fmt: skip


def _discrepancy_rows(
    payments: pd.DataFrame, flags: pd.DataFrame, errors: pd.DataFrame, intake: Intake, run_date: date,
    register_rows: list[list[str]], amount_total: int, method_rows: list[dict] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Every discrepancy of the register with its provenance, in the discrepancy table's columns.

    ``payment_id`` is the payment's id reserved by the decision step (``NightPlan``), named only
    once posting has stored it, and ``register_id`` is empty: posting gives it.
    The raw lines are read from the intake file for the flagged lines only.
    """
    mine = flags[flags["payment_id"].isin(payments["payment_id"])]
    rows = mine.merge(payments.assign(row=np.arange(len(payments))), on="payment_id", how="left")
    rows["raw"] = read_raw_lines(intake.payments_path, rows["row"].to_numpy()).array  # by position
    rows["uip"] = rows["uip"].where(rows["uip"].notna(), None)
    bad = pd.DataFrame(
        {"code": Code.MALFORMED_LINE.value, "line_no": errors["line_no"], "raw": errors["raw"],
         "amount": errors["amount"], "detail": errors["reason"]}
    )  # fmt: skip
    frames = [rows, bad]
    if register_rows:  # the register as a whole: totals that do not tie, no totals at all
        frames.append(pd.DataFrame([{"code": code, "amount": amount_total, "detail": detail}
                                    for code, detail in register_rows]))  # fmt: skip
    if method_rows:  # method values the channel does not know, with the payments they were read on
        frames.append(pd.DataFrame(method_rows))
    out = pd.concat(frames, ignore_index=True)
    out["run_date"] = run_date.isoformat()
    out["channel"] = intake.channel
    out["file"] = intake.name
    out["amount"] = out["amount"].astype("Int64")
    out["line_no"] = out["line_no"].astype("Int64")
    out["payment_id"] = out["payment_id"].astype("Int64")  # no float on the way to the database ids
    for column in DISCREPANCY_COLUMNS:
        if column not in out.columns:
            out[column] = None
    return out[DISCREPANCY_COLUMNS]


def _bad_file(config: Config, engine: Engine, intake: Intake, run_date: date) -> RegisterOutcome:
    with UnitOfWork(engine) as uow:
        rid = create_register(uow.conn, file=intake.name, sha256=intake.sha256, channel=intake.channel,
                              fmt=intake.format or "unknown", run_date=run_date, status=RegisterStatus.BAD_FILE,
                              reason=intake.reason, replaces=intake.known_register_id)  # fmt: skip
        row = pd.DataFrame([{"run_date": run_date.isoformat(), "code": Code.BAD_FILE.value, "register_id": rid,
                             "channel": intake.channel, "file": intake.name, "detail": intake.reason}])  # fmt: skip
        add_discrepancies(uow.conn, row)
        uow.commit()
    stored = file_away(Path(intake.path), config.quarantine / run_date.isoformat() / intake.channel, intake.reason)
    _set_stored(engine, rid, stored)
    return RegisterOutcome(intake.name, intake.sha256, intake.channel, intake.format, RegisterStatus.BAD_FILE, rid,
                           stored_path=str(stored), reason=intake.reason)  # fmt: skip


def _refused_earlier(intake: Intake, committed: dict, run_date: date) -> bool:
    """Whether the stored row is a file refused as unreadable on an earlier night and read again
    tonight (``replaces`` takes it over), not this task's own commit."""
    return (intake.known_register_id == committed["register_id"] and committed["status"] == RegisterStatus.BAD_FILE
            and committed["run_date"] != run_date.isoformat())  # fmt: skip


def _duplicate_file(config: Config, engine: Engine, intake: Intake, run_date: date) -> RegisterOutcome:
    """A file whose content was received before (or earlier tonight): archived, reported, not read."""
    detail = intake.reason or f"тот же файл уже получен (реестр {intake.known_register_id})"
    where = config.quarantine if intake.beside_refused else config.archive
    folder = where / run_date.isoformat() / intake.channel
    # On a retry the file may have been moved already by the attempt that failed.
    stored = file_or_find(Path(intake.path), folder, detail if intake.beside_refused else None, intake.sha256)
    with UnitOfWork(engine) as uow:
        row = pd.DataFrame([{"run_date": run_date.isoformat(), "code": Code.DUPLICATE_FILE.value,
                             "register_id": intake.known_register_id, "channel": intake.channel,
                             "file": intake.name, "detail": detail}])  # fmt: skip
        add_discrepancies(uow.conn, row)
        uow.commit()
    return RegisterOutcome(intake.name, intake.sha256, intake.channel, intake.format, DUPLICATE_FILE,
                           intake.known_register_id, stored_path=str(stored or ""), reason=detail)  # fmt: skip


def _finish_filing(
    config: Config, engine: Engine, intake: Intake, run_date: date, committed: dict, status: str | None = None
) -> RegisterOutcome:
    """File away a register committed but not filed (by the failed attempt of this task, or by a
    run that died: ``status="recovered"``), posting nothing again, or find where it was put; the
    outcome is the stored register's."""
    # Its own night's folder, where the next run's repair_filing looks should this run die as well.
    folder = filed_folder(config, committed["status"], committed["run_date"], intake.channel)
    if intake.source_filed:
        stored: Path | None = Path(intake.source_filed)
    else:
        stored = file_or_find(Path(intake.path), folder, committed["reason"] or None, intake.sha256)
    if stored is not None:
        _set_stored(engine, committed["register_id"], stored)
    else:
        logging.getLogger("rkc.commit").warning(
            "%s: committed as register %s, but the file is neither in the inbox nor in %s",
            intake.name, committed["register_id"], folder)  # fmt: skip
    fields = {k: committed[k] for k in ("register_id", "lines", "rejected_lines", "records", "non_payment_lines",
                                         "amount_total", "posted", "suspense", "rejected", "duplicate",
                                         "quarantined", "reason")}  # fmt: skip
    if status == RECOVERED:
        fields["reason"] = "committed by an earlier run that stopped before filing it"
    return RegisterOutcome(intake.name, intake.sha256, intake.channel, intake.format, status or committed["status"],
                           stored_path=str(stored or ""), **fields)  # fmt: skip


def _set_stored(engine: Engine, register_id: int | None, stored: Path) -> None:
    # A kill just before this leaves the path empty with the file filed: rkc.filing.repair_filing
    # records it at the start of the next run.
    if register_id is None:
        return
    with UnitOfWork(engine) as uow:
        set_stored_path(uow.conn, register_id, str(stored))
        uow.commit()
