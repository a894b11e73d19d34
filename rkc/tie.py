"""The tie-out: registers tied to the п/п of the bank statements (read by ``rkc.bank_statements``),
receipts posted.

A register stays open until its п/п arrives (a late п/п is tied on a later night); TRANSFER_MISSING
is reported every night it is still missing. Incoming transfers from a configured agent are posted
as received money once each: Dr bank, Cr agent when tied to a register, else Cr agent_unallocated,
moved to the agent by an allocation entry when its register is tied (docs/LEDGER.md). Outgoing documents of the center's
statements are stored and tied to the prepared payouts (``rkc.payout_tie``).

Registers of payers' own п/п are tied п/п by п/п (rule ``direct``), ГИС ЖКХ registers whose money a
bank pays as part of that bank's transfers (``domain.tie_riders``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from domain.cashbridge import CashBridge
from domain.codes import Code
from domain.direct import RULE_DIRECT, operation_ids
from domain.records import BankTransfer
from domain.statuses import TieStatus
from domain.tie_riders import BANK_COLUMNS, RIDER_COLUMNS, RULE_WITH_BANK, rider_amounts, tie_carried, tie_riders
from domain.tieout import (
    REGISTER_COLUMNS,
    TieResult,
    agent_candidates,
    tie_registers,
)
from rkc.bank_statements import StatementsRead, agents_of, read_statements
from rkc.config import Config
from rkc.payout_tie import tie_debits_of_night
from sql import transfers
from sql.agent_money import unallocated_tied
from sql.cash import bank_figures
from sql.discrepancies import add_discrepancies, clear_codes
from sql.entries import post_allocation, post_transfer
from sql.uow import UnitOfWork


@dataclass(frozen=True)
class TieSummary:
    """What the tie-out of a night did (JSON-able)."""

    statements: int
    transfers_new: int
    tied: int
    mismatched: int
    missing: int
    registers_missing: int
    bad_statements: list[str]
    foreign_statements: list[str]  # "file: detail" of each FOREIGN_STATEMENT finding
    ignored_documents: int  # documents of other accounts' sections, not read
    debits_new: int = 0  # outgoing documents of the center's statements stored this night
    payouts_settled: int = 0  # prepared payouts the bank debited (rkc/payout_tie.py)
    payouts_mismatched: int = 0
    debits_unknown: int = 0
    payouts_missing: int = 0
    cash_bridge: dict | None = None  # domain.cashbridge.CashBridge.to_dict(); None: no statement of the account yet
    direct_registers_tied: int = 0  # registers of payers' п/п tied to them tonight (rkc/direct.py)

    def to_dict(self) -> dict:
        """As a plain dict, for passing between tasks and into the run summary."""
        return asdict(self)


def tie_out(config: Config, engine: Engine, run_date: date, earlier: StatementsRead | None = None) -> TieSummary:
    """Read new statements, tie open registers to unused transfers, post the receipts. ``earlier``:
    what the night read of its statements before its decisions (``rkc.direct``), counted in."""
    read = read_statements(config, engine, run_date)
    read = earlier.plus(read) if earlier is not None else read
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        direct_tied = _tie_direct(conn, config)
        waiting = _open_registers(conn, config)
        riders = waiting["channel"].isin(config.money_from)
        registers = waiting.loc[~riders, REGISTER_COLUMNS]
        unused, attributed = _unused_transfers(conn, config.direct_channel)
        agents = pd.DataFrame(
            [{"payer_inn": c.agent_inn, "payer_account": c.agent_account} for c in config.channels.values()]
        )
        # The channels each transfer may pay for: the one it was credited to when read, else the
        # candidates its payer's account or INN names (none for a stranger's п/п).
        candidates = agent_candidates(agents_of(config))
        senders = {
            t.line_no: frozenset([attributed[t.line_no]]) if attributed[t.line_no]
            else candidates(t.payer_inn, t.payer_account)
            for t in unused
        }  # fmt: skip
        result = tie_registers(registers, unused, agents=agents, senders=senders)
        # A recalled bank register's freed п/п still carries the riders it paid with it.
        on_mismatch = result.registers["transfer_line_no"][result.registers["status"] == TieStatus.TRANSFER_MISMATCH]
        result = tie_carried(result, transfers.carried_riders(conn, sorted({int(t) for t in on_mismatch.dropna()})))
        if riders.any():  # ГИС ЖКХ registers whose money comes with a bank's п/п
            result = _tie_riders(conn, config, result, registers, waiting[riders], unused, senders)
        by_line = {t.line_no: t for t in unused}
        # The agent a tied п/п is credited to: the register's, a ГИС ЖКХ rider's bank.
        payer_of = {int(r): config.money_from.get(c, c) for r, c in zip(waiting["register_id"], waiting["channel"],
                                                                       strict=True)}  # fmt: skip
        tied = mismatched = missing = 0
        for row in result.registers.itertuples():
            rid = int(row.register_id)
            transfer_id = None if pd.isna(row.transfer_line_no) else int(row.transfer_line_no)
            if row.status in (TieStatus.TIED, TieStatus.TRANSFER_MISMATCH):
                # A payer shared by two channels was not attributed when read: the register (one of
                # the payer's candidate channels, see ``senders``) names it. A rider sharing its
                # bank register's п/п, and a register tied on an earlier night, leave it as it is.
                if row.rule != RULE_WITH_BANK and rid in payer_of:
                    transfers.tie_transfer(conn, transfer_id, rid, payer_of[rid])
                tied += row.status == TieStatus.TIED
                mismatched += row.status != TieStatus.TIED
            else:
                missing += 1
            transfers.set_tie(conn, rid, row.status, row.rule, transfer_id)
        _record_tie_flags(conn, result.flags, by_line, run_date)
        _post_receipts(conn, config)
        _allocate(conn, run_date)
        debits = tie_debits_of_night(conn, config, run_date)
        bridge = cash_bridge_of_night(conn, config, run_date)
        uow.commit()
    registers_missing = int((result.flags["code"] == Code.REGISTER_MISSING.value).sum())
    return TieSummary(read.read, read.added, tied, mismatched, missing, registers_missing, read.bad, read.foreign,
                      read.ignored_documents, read.debits, debits.settled, debits.mismatched, debits.unknown,
                      debits.missing, bridge.to_dict() if bridge else None, direct_tied)  # fmt: skip


def _tie_riders(conn, config: Config, result, registers: pd.DataFrame, riders: pd.DataFrame,  # type: ignore[no-untyped-def]
                unused: list[BankTransfer], senders: dict) -> TieResult:  # fmt: skip
    """The ГИС ЖКХ registers of channels with ``money_from`` tied as part of their bank's transfers
    (``domain.tie_riders``), tonight's tie of the bank registers (``result``) adjusted."""
    riders = riders.assign(money_from=riders["channel"].map(config.money_from), own_amount=rider_amounts(riders))
    earlier = transfers.mismatched_registers(conn, sorted(set(config.money_from.values())))
    return tie_riders(result, registers[BANK_COLUMNS], riders[RIDER_COLUMNS], unused, senders, earlier)


def _tie_direct(conn, config: Config) -> int:  # type: ignore[no-untyped-def]
    """Tie each payer's п/п to the register holding the payment made of it (``rkc.direct``), and
    those registers as tied whole (rule ``direct``); return how many registers."""
    channel = config.direct_channel
    if channel is None:
        return 0
    waiting = transfers.waiting_direct(conn, channel)
    if waiting.empty:
        return 0
    ops = operation_ids(waiting)
    found = transfers.payment_registers(conn, channel, ops.tolist())
    pairs = pd.DataFrame({"transfer_id": waiting["id"].to_numpy(), "operation_id": ops.to_numpy()})
    pairs = pairs.merge(found, on="operation_id")[["transfer_id", "register_id"]]
    return transfers.tie_payers_transfers(conn, pairs.astype("int64"), RULE_DIRECT)


def cash_bridge_of_night(conn, config: Config, run_date: date) -> CashBridge | None:  # type: ignore[no-untyped-def]
    """The center account's cash bridge after tonight's statements and postings; each difference
    is a CASH_BRIDGE_MISMATCH of the night (re-evaluated by every run of it). None without a
    configured account or before its first statement."""
    clear_codes(conn, run_date, (Code.CASH_BRIDGE_MISMATCH.value,))
    figures = bank_figures(conn, config.center_account) if config.center_account else None
    if figures is None:
        return None
    bridge = CashBridge(figures)
    findings = bridge.findings()
    if findings:
        rows = pd.DataFrame([{"run_date": run_date.isoformat(), "code": Code.CASH_BRIDGE_MISMATCH.value,
                              "channel": "statements", "detail": detail, "amount": amount}
                             for detail, amount in findings])  # fmt: skip
        rows["amount"] = rows["amount"].astype("Int64")
        add_discrepancies(conn, rows)
    return bridge


def _open_registers(conn, config: Config) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The registers waiting for their п/п, with the agent's INN and account (``REGISTER_COLUMNS``,
    and the amounts a ГИС ЖКХ rider's own money is of); not those of payers' п/п, which are their
    own п/п (``_tie_direct``)."""
    frame = transfers.open_registers(conn)
    frame = frame[frame["channel"] != config.direct_channel].reset_index(drop=True)
    frame["payer_inn"] = frame["channel"].map(lambda c: config.channels[c].agent_inn if c in config.channels else None)
    frame["payer_account"] = frame["channel"].map(
        lambda c: config.channels[c].agent_account if c in config.channels else None
    )
    frame["order_date"] = pd.to_datetime(frame["order_date"]).dt.date
    frame["register_date"] = pd.to_datetime(frame["register_date"]).dt.date
    frame["register_number"] = None
    frame["net_amount"] = frame["net_amount"].astype("int64")
    frame["order_number"] = frame["order_number"].astype(object)
    return frame


def _unused_transfers(conn, direct: str | None) -> tuple[list[BankTransfer], dict[int, str | None]]:  # type: ignore[no-untyped-def]
    """Transfers not tied to a register yet (``line_no`` carries the row id to find them again), and
    the channel each was credited to when read (None: not attributed); payers' п/п (credited to
    ``direct``) are payments, not an agent's money for a register."""
    rows = [r for r in transfers.unused_transfers(conn) if direct is None or r.channel != direct]
    unused = [
        BankTransfer(number=r.number, date=r.date, amount=r.amount, incoming=True, payer_name=r.payer_name,
                     payer_inn=r.payer_inn, payer_account=r.payer_account, purpose=r.purpose, line_no=r.id)
        for r in rows
    ]  # fmt: skip
    return unused, {r.id: r.channel for r in rows}


# Re-evaluated on every run: a night run twice reports the state once, as of its last run.
_STATE_CODES = (Code.TRANSFER_MISSING.value, Code.REGISTER_MISSING.value)


def _record_tie_flags(conn, flags: pd.DataFrame, by_line: dict, run_date: date) -> None:  # type: ignore[no-untyped-def]
    clear_codes(conn, run_date, _STATE_CODES)
    if flags.empty:
        return
    rows = []
    for flag in flags.itertuples():
        transfer = by_line.get(int(flag.transfer_line_no)) if pd.notna(flag.transfer_line_no) else None
        rid = None if pd.isna(flag.register_id) else int(flag.register_id)
        rows.append({"run_date": run_date.isoformat(), "code": flag.code, "register_id": rid,
                     "amount": transfer.amount if transfer else None, "detail": flag.detail,
                     "operation_id": transfer.number if transfer else None,
                     "paid_date": transfer.date.isoformat() if transfer else None,
                     "payer": transfer.payer_name if transfer else None})  # fmt: skip
    frame = pd.DataFrame(rows)
    frame["amount"] = frame["amount"].astype("Int64")
    add_discrepancies(conn, frame)


def _post_receipts(conn, config: Config) -> None:  # type: ignore[no-untyped-def]
    """Dr bank, Cr agent for every transfer from a known agent not posted yet; Cr agent_unallocated
    for one no posted register claims (its register quarantined, missing or not arrived yet)."""
    for row in transfers.unposted_receipts(conn):
        if row.channel == config.direct_channel and row.register_id is None:
            continue  # a payer's п/п is received with its payment (rkc/direct.py), not before it
        entry = post_transfer(conn, bank=config.center_account, channel=row.channel, amount=row.amount,
                              number=row.number, on=row.date, payer_account=row.payer_account,
                              claimed=row.register_id is not None)  # fmt: skip
        if entry is not None:
            transfers.set_receipt_entry(conn, row.id, entry)


def _allocate(conn, run_date: date) -> None:  # type: ignore[no-untyped-def]
    """Move each п/п received into agent_unallocated whose register is now posted and tied to it
    to agent:<channel> (an allocation entry; docs/LEDGER.md, "Money without its register")."""
    for row in unallocated_tied(conn):
        post_allocation(conn, receipt_id=int(row.entry_id), channel=row.channel, amount=int(row.amount),
                        on=run_date, number=row.number, register_id=int(row.register_id))  # fmt: skip
