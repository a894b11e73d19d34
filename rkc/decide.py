"""The night's decisions over every register read: control totals, duplicates, matching,
cross-channel copies, splitting, commission, near misses.

All registers of the night are decided together (a cross-channel copy may sit in another file)
but nothing is written to the ledger here. Only the columns the rules need are read (not the raw
lines, payers or printed ЛС), and the outcome goes to small Parquet files per register in the
work directory, row for row beside intake's payment file (``rkc.night_plan``), so that posting
reads its own register's files and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine

from domain.chargeindex import ChargeIndex, first_rows, to_arrow
from domain.codes import Code
from domain.commission import check_commission
from domain.dates import dates_out_of_range
from domain.duplicates import (
    KEY_COLUMNS,
    after_recalls,
    cross_channel_duplicates,
    mark_duplicates,
    number_occurrences,
)
from domain.matching import match_payments
from domain.nearmiss import normalize_address, propose_near_misses
from domain.purpose import RULE_PURPOSE
from domain.records import LineError
from domain.splitting import split_payments
from domain.statuses import MatchStatus, Outcome
from domain.totals import check_register_totals
from domain.unverified import unverified_register
from rkc.config import Config
from rkc.config_channels import channel_priority
from rkc.decide_purpose import identify_by_purpose, purpose_flags
from rkc.intake import PARSED, Intake
from rkc.night_plan import FLAG_COLUMNS, NightPlan, unfinished_plan, write_plan
from rkc.workfiles import read_errors, read_payments
from sql.payment_ids import ids_in_key_order, reserve_payment_ids
from sql.queries import documents_at_addresses, load_charges, posted_keys, previous_payments
from sql.reversals import recalled_copies

# What the rules read of each payment; ``raw``, ``payer`` and ``account_raw`` stay in the intake file,
# and ``address`` is read later for the few payments left in suspense.
DECIDE_COLUMNS = [
    "line_no", "operation_id", "paid_date", "paid_time", "account", "uip", "els", "period", "amount", "commission",
    "services", "qr_flag", "qr_detail",
]  # fmt: skip
# The charge columns the rules use, per service line (addresses are read per ПД, when needed).
CHARGE_NEEDS = ("uip", "account", "period", "supplier_inn", "service", "amount", "els")


def decide_night(
    config: Config, engine: Engine, intakes: list[Intake], work_dir: Path, run_date: date | None = None
) -> NightPlan:
    """Decide the outcome of every payment of the night's parsed registers (``run_date``, by
    default today on the center's clock, bounds the payment dates: ``domain.dates``).

    ``payment_id`` is each payment's id, reserved here for every payment read (one block,
    ``_reserve_ids``); an id whose payment is not stored (a duplicate, a quarantined register) is
    left unused. ``live`` marks the payments still in play (not quarantined, not a duplicate), by
    row of the night's frame (``rows_of`` turns ids into rows), and each rule gets only the columns
    it reads, so the night is held once in memory, not copied step after step.
    """
    parsed = [i for i in intakes if i.status == PARSED]
    unfinished = unfinished_plan(engine, parsed, work_dir)
    if unfinished is not None:
        return unfinished
    run_date = run_date or config.today()
    # The ПД's charges need nothing of the night: read on a thread of their own (the server's COPY
    # and its parse) while the night's payments are read from their files and their keys looked up.
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="charges")
    reading = reader.submit(_current_charges, engine)
    reader.shutdown(wait=False)  # the thread ends with its read; ``result()`` below waits for it
    payments, quarantined, register_flags = _read_night(config, parsed)
    live = payments["outcome"].to_numpy() != Outcome.QUARANTINED
    with engine.connect() as conn:
        # Payments of a register sent again after its agent recalled it are new payments (rkc/reverse.py).
        recalled = recalled_copies(conn, payments.loc[live, KEY_COLUMNS])
        if len(recalled):
            payments["occurrence"] = after_recalls(payments, recalled)
        payments["payment_id"], rows_of = _reserve_ids(conn, payments)  # the keys are final now
        known = posted_keys(conn, payments.loc[live, ["channel", "operation_id", "occurrence"]])
        days = payments.loc[live, "paid_date"].dropna().unique()  # a few distinct days; not a set of 1M strings
        previous = previous_payments(conn, sorted(str(d) for d in days))
    charges = reading.result()
    # Payments whose fields name no ЛС, УИП or ЕЛС are named by their purpose text, if it names one.
    purposes = identify_by_purpose(config, parsed, payments)
    dup_columns = ["payment_id", "channel", "operation_id", "occurrence", "line_no", "register_key"]
    dup_flags = mark_duplicates(
        payments.loc[live, dup_columns].rename(columns={"register_key": "register_id"}), posted=known
    )
    live[rows_of(dup_flags["payment_id"])] = False
    # Dated out of range: matched and checked like the others, but never let through to a supplier.
    date_flags = dates_out_of_range(payments.loc[live, ["payment_id", "paid_date"]], run_date,
                                    config.date_tolerance_days, config.max_payment_age_days)  # fmt: skip
    held = np.zeros(len(payments), dtype=bool)
    held[rows_of(date_flags["payment_id"])] = True

    index = ChargeIndex.build(charges)  # hashed once, shared by matching, splitting and near misses
    doc_version = charges["version"].to_numpy()[first_rows(index.line_doc, index.n_docs)]  # per ПД code
    del charges
    matched = match_payments(payments.loc[live, ["payment_id", "uip", "account", "els", "period"]], index)
    m = matched.matches
    rows = rows_of(m["payment_id"])
    cross_columns = ["payment_id", "channel", "uip", "account", "amount", "paid_date", "paid_time", "operation_id"]
    cross_input = payments.loc[live, cross_columns]
    for spent in ("line_no", "operation_id", "paid_date", "paid_time"):  # the duplicates' and dates' columns
        del payments[spent]  # the night's frame is held through the whole step: what is read is let go
    # The matched ПД's УИП, else the payment's own (``m`` has the same rows in the same order), in Arrow.
    own_or_matched = pc.coalesce(to_arrow(m["uip"]), to_arrow(cross_input["uip"]))
    cross_input["uip"] = pd.Series(own_or_matched, index=cross_input.index, dtype="str")
    if config.direct_channel is not None:  # a payer's own п/п is money of its own: never another's copy
        cross_input = cross_input[cross_input["channel"] != config.direct_channel]
        previous = previous[previous["channel"] != config.direct_channel]
    priority = channel_priority(config.channels)
    cross_flags = cross_channel_duplicates(cross_input, previous=previous, priority=priority)
    del cross_input
    live[rows_of(cross_flags["payment_id"])] = False

    won = np.zeros(len(payments), dtype=bool)
    won[rows[(m["status"] == MatchStatus.MATCHED).to_numpy()]] = True
    won &= live & ~held  # ``live`` is final from here
    m_at = np.full(len(payments), -1, dtype=np.int64)  # each row's row of ``m`` (-1: not matched against)
    m_at[rows] = np.arange(len(rows))
    date_flags = _with_found_document(date_flags[live[rows_of(date_flags["payment_id"])]], m, m_at, rows_of)
    at = m_at[won]
    winners = payments.loc[won, ["payment_id", "amount", "services", "channel"]]
    winners = winners.assign(uip=m["uip"].iloc[at].to_numpy(), doc=m["doc"].to_numpy()[at])
    payments.loc[won, "matched_uip"] = winners["uip"].to_numpy()
    payments.loc[won, "match_rule"] = m["rule"].to_numpy()[at]
    payments.loc[won, "document_version"] = doc_version[winners["doc"].to_numpy(dtype=np.int64)]
    match_flags = matched.flags
    del matched, m, m_at, at
    # Each payment's service codes are read through its own channel's map (``channel`` is per register).
    service_codes = {c.name: c.service_codes for c in config.channels.values() if c.service_codes}
    split = split_payments(winners, index, service_codes=service_codes)
    parts, split_flags = split.parts, split.flags
    del split, winners, payments["services"]
    tariffs = {c.name: c.tariff for c in config.channels.values()}
    commission_flags = check_commission(payments.loc[live, ["payment_id", "channel", "amount", "commission"]], tariffs)
    suspense = payments.loc[live & ~won, ["payment_id", "account", "period", "register_key", "row"]]
    proposals = _near_misses(engine, parsed, suspense, index)
    del index, suspense

    outcome = payments["outcome"].to_numpy(dtype=object, copy=True)  # pandas 3: a view may be read-only
    duplicates = rows_of(pd.concat([dup_flags["payment_id"], cross_flags["payment_id"]]))
    outcome[duplicates] = Outcome.DUPLICATE
    outcome[won] = Outcome.POSTED
    payments["outcome"] = outcome
    by_purpose = np.zeros(len(payments), dtype=bool)
    by_purpose[rows_of(purposes.index)] = True
    payments.loc[won & by_purpose, "match_rule"] = RULE_PURPOSE
    flagged = rows_of(match_flags["payment_id"])
    match_flags = purpose_flags(match_flags[live[flagged] & ~held[flagged]], payments, purposes)
    flags = _in_row_order([dup_flags, cross_flags, match_flags, date_flags, split_flags, commission_flags,
                           _qr_flags(payments, live)], rows_of)  # fmt: skip

    plan = NightPlan(str(work_dir), quarantined, register_flags)
    write_plan(plan, parsed, payments, parts, flags, proposals, by_purpose, rows_of)
    return plan


def _current_charges(engine: Engine) -> pd.DataFrame:
    """The service lines of every ПД's current version (``CHARGE_NEEDS``), read in one statement."""
    with engine.connect() as conn:
        return load_charges(conn, CHARGE_NEEDS, versions=True)


def _read_night(config: Config, parsed: list[Intake]) -> tuple[pd.DataFrame, dict[str, str], dict[str, list]]:
    """The night's payments (``DECIDE_COLUMNS`` plus register, row, id, occurrence and a first
    outcome), the registers quarantined (control totals that do not tie, an unreadable totals
    file, no totals where the channel does not allow it) with the reason, and the registers'
    own discrepancies (``NightPlan.register_flags``)."""
    frames, quarantined, register_flags = [], {}, {}
    for key, intake in enumerate(parsed):
        payments = read_payments(intake.payments_path, columns=DECIDE_COLUMNS)
        errors = read_errors(intake.errors_path)
        declared = intake.declared_totals()
        check = check_register_totals(payments, _line_errors(intake, errors), declared)
        if intake.accepted:  # totals that did not tie, accepted in the workbench: posted, the difference noted
            register_flags[intake.sha256] = [[Code.REGISTER_ACCEPTED.value, intake.accepted]]
        elif intake.totals_error:
            quarantined[intake.sha256] = intake.totals_error
        elif not check.ok:
            quarantined[intake.sha256] = check.reason
        elif verdict := unverified_register(declared, config.channels[intake.channel].unverified, check.lines,
                                            check.amount, intake.channel):  # fmt: skip
            register_flags[intake.sha256] = [[verdict.code.value, verdict.detail]]
            if verdict.quarantine:
                quarantined[intake.sha256] = verdict.detail
        out = intake.sha256 in quarantined
        frames.append(payments.assign(register_key=key, row=np.arange(len(payments)), channel=intake.channel,
                                      outcome=Outcome.QUARANTINED if out else Outcome.SUSPENSE))  # fmt: skip
    payments = pd.concat(frames, ignore_index=True) if frames else _empty_night()
    del frames
    payments["occurrence"] = number_occurrences(payments, file_column="register_key")
    payments["matched_uip"] = None
    payments["match_rule"] = None
    payments["document_version"] = pd.Series(pd.NA, index=payments.index, dtype="Int64")
    return payments, quarantined, register_flags


def _reserve_ids(conn: Connection, payments: pd.DataFrame) -> tuple[np.ndarray, Callable[[object], np.ndarray]]:
    """The night's payment ids, reserved in one block (``sql.payment_ids.reserve_payment_ids``):
    register after register, each register's in the order of its payments' keys, the order posting
    stores them in (``sql.posting``: the ids then grow along the key index). Also the function
    that turns ids back into rows of the night's frame."""
    n = len(payments)
    block = reserve_payment_ids(conn, n)
    ids = ids_in_key_order(block, payments, payments["register_key"].to_numpy(dtype=np.int64))
    first = block.start if n else 0
    row_at = np.empty(n, dtype=np.int64)
    row_at[ids - first] = np.arange(n, dtype=np.int64)

    def rows_of(payment_ids: object) -> np.ndarray:
        """The rows of the night's frame of these payment ids."""
        return row_at[np.asarray(payment_ids, dtype=np.int64) - first]

    return ids, rows_of


def _in_row_order(kinds: list[pd.DataFrame], rows_of: Callable[[object], np.ndarray]) -> pd.DataFrame:
    """The flags of each kind (each sorted by payment id, then code) one kind after the other, each
    kind's in the order of the payments' lines: the ids follow the keys, the report the lines."""
    flags = pd.concat(kinds, ignore_index=True)[FLAG_COLUMNS]
    kind = np.repeat(np.arange(len(kinds)), [len(k) for k in kinds])
    order = np.lexsort((rows_of(flags["payment_id"]), kind))  # stable: a payment's codes keep their order
    return flags.take(order).reset_index(drop=True)


def _qr_flags(payments: pd.DataFrame, live: np.ndarray) -> pd.DataFrame:
    """QR_UNREADABLE / QR_MISMATCH of the payments still in play whose line carries a QR payload that
    could not be read or disagrees with the line (judged as the line was read: domain/qr_lines.py);
    a duplicate's payload is not reported again."""
    found = live & payments["qr_flag"].notna().to_numpy()
    rows = payments.loc[found, ["payment_id", "qr_flag", "qr_detail"]]
    return pd.DataFrame({"payment_id": rows["payment_id"].to_numpy(dtype=np.int64),
                         "code": rows["qr_flag"].astype(object).to_numpy(),
                         "detail": rows["qr_detail"].astype(object).to_numpy()})  # fmt: skip


def _with_found_document(
    flags: pd.DataFrame, matches: pd.DataFrame, at: np.ndarray, rows_of: Callable[[object], np.ndarray]
) -> pd.DataFrame:
    """DATE_OUT_OF_RANGE flags with the ПД the payment matched, when it did: the УИП the
    accountant writes into the report to accept the payment. ``at``: each row's row of ``matches``."""
    if flags.empty:
        return flags
    where = at[rows_of(flags["payment_id"])]
    found = matches.iloc[np.maximum(where, 0)]
    uip = found["uip"].where((found["status"] == MatchStatus.MATCHED).to_numpy() & (where >= 0)).to_numpy(dtype=object)
    hint = ("; найден ПД " + pd.Series(uip, dtype=object)).fillna("")
    return flags.assign(detail=flags["detail"].to_numpy(dtype=object) + hint.to_numpy(dtype=object))


def _near_misses(engine: Engine, parsed: list[Intake], suspense: pd.DataFrame, index: ChargeIndex) -> pd.DataFrame:
    """Near-miss proposals for the payments left in suspense. Their addresses are read only now,
    and only theirs (from each register's intake file); the ПД at those addresses come from the
    database by their stored normal form, not by normalising every ПД's address."""
    addresses = np.full(len(suspense), None, dtype=object)
    for key, intake in enumerate(parsed):
        mine = (suspense["register_key"] == key).to_numpy()
        if mine.any():
            column = read_payments(intake.payments_path, columns=["address"])["address"]
            addresses[mine] = column.to_numpy(dtype=object)[suspense["row"].to_numpy()[mine]]
    addresses = pd.Series(addresses, index=suspense.index, dtype=object)
    with engine.connect() as conn:
        address_docs = documents_at_addresses(conn, normalize_address(addresses).unique().tolist())
    return propose_near_misses(suspense.assign(address=addresses), index, address_docs=address_docs)


def _line_errors(intake: Intake, errors: pd.DataFrame) -> list[LineError]:
    amounts = errors["amount"].astype(object).where(errors["amount"].notna(), None)
    return [
        LineError(intake.path, int(n), str(r), str(raw), None if a is None else int(a))
        for n, r, raw, a in zip(errors["line_no"], errors["reason"], errors["raw"], amounts, strict=True)
    ]


def _empty_night() -> pd.DataFrame:
    from domain.records import empty_payments

    return empty_payments()[DECIDE_COLUMNS].assign(register_key=pd.Series(dtype="int64"),
                                                   row=pd.Series(dtype="int64"), channel=pd.Series(dtype=object),
                                                   outcome=pd.Series(dtype=object))  # fmt: skip
