"""Agents' money in the ledger: the п/п received into ``agent_unallocated:<channel>`` waiting for
their register, and what stands behind every agent and unallocated balance (docs/LEDGER.md,
"Money without its register"; the run report's «Деньги агентов»)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from sqlalchemy import Connection, Row, String, and_, cast, exists, literal, or_, select

from domain.ledger import AGENT_PREFIX, UNALLOCATED_PREFIX
from domain.statuses import RegisterStatus, TieStatus
from sql.models import BankTransfer, LedgerBalance, LedgerEntry, LedgerPosting, Register

ALLOCATION_KEY = "allocation:"  # + the receipt entry's id (sql.entries.post_allocation)
ITEM_COLUMNS = ["account", "channel", "kind", "ref", "file", "number", "day", "since", "amount"]


def _credited(prefix: str):  # type: ignore[no-untyped-def]
    """The transfers whose receipt entry credited ``prefix + channel``."""
    t, p = BankTransfer.__table__, LedgerPosting.__table__
    on = and_(p.c.entry_id == t.c.entry_id, p.c.account == literal(prefix, String) + t.c.channel)
    return t.join(p, on)


def _not_allocated():  # type: ignore[no-untyped-def]
    t, e = BankTransfer.__table__, LedgerEntry.__table__
    return ~exists().where(e.c.source_key == literal(ALLOCATION_KEY, String) + cast(t.c.entry_id, String))


def unallocated_tied(conn: Connection) -> list[Row]:
    """Transfers received into agent_unallocated that are tied to a register now and not moved yet:
    id, entry_id, channel, amount, number, date, register_id."""
    t = BankTransfer.__table__
    query = (
        select(t.c.id, t.c.entry_id, t.c.channel, t.c.amount, t.c.number, t.c.date, t.c.register_id)
        .select_from(_credited(UNALLOCATED_PREFIX))
        .where(t.c.register_id.is_not(None), _not_allocated())
        .order_by(t.c.id)
    )
    return list(conn.execute(query).all())


def agent_balances(conn: Connection) -> pd.DataFrame:
    """Every non-zero ``agent:*`` and ``agent_unallocated:*`` balance, signed (debit positive):
    account, signed."""
    b = LedgerBalance.__table__
    query = select(b.c.account, b.c.balance.label("signed")).where(
        or_(b.c.account.startswith(AGENT_PREFIX, autoescape=True),
            b.c.account.startswith(UNALLOCATED_PREFIX, autoescape=True)),
        b.c.balance != 0,
    ).order_by(b.c.account)  # fmt: skip
    return pd.DataFrame(conn.execute(query).all(), columns=["account", "signed"])


def agent_items(conn: Connection, money_from: Mapping[str, str] | None = None) -> pd.DataFrame:
    """What explains agents' balances (``ITEM_COLUMNS``; ``amount`` in the account's natural sign):
    posted registers not tied to their п/п (the agent owes their net amount; a mismatched one the
    difference), п/п received into agent_unallocated and not moved yet, and п/п credited to an
    agent without a register (posted so before agent_unallocated existed). A register of a ГИС ЖКХ
    channel in ``money_from`` is owed by that bank's agent: its posted and suspense money."""
    money_from = money_from or {}
    r, t = Register.__table__, BankTransfer.__table__
    registers = conn.execute(
        select(r.c.id, r.c.channel, r.c.file, r.c.payment_order_number, r.c.payment_order_date, r.c.run_date,
               r.c.declared_transfer, r.c.amount_total, r.c.commission_total, r.c.tie_status, t.c.amount,
               r.c.posted_amount, r.c.suspense_amount)
        .select_from(r.outerjoin(t, t.c.id == r.c.transfer_id))
        .where(r.c.status == RegisterStatus.POSTED,
               or_(r.c.tie_status.is_(None), r.c.tie_status != TieStatus.TIED))
        .order_by(r.c.id)
    ).all()  # fmt: skip
    rows = []
    for row in registers:
        owed = row.declared_transfer if row.declared_transfer is not None else row.amount_total - row.commission_total
        if row.channel in money_from:  # a rider: only what its payments put on the bank's account
            owed = (row.posted_amount or 0) + (row.suspense_amount or 0) - (row.commission_total or 0)
        tied = row.tie_status == TieStatus.TRANSFER_MISMATCH and row.amount is not None
        debtor = money_from.get(row.channel, row.channel)
        rows.append({"account": AGENT_PREFIX + debtor, "channel": debtor, "kind": "register",
                     "ref": row.id, "file": row.file, "number": row.payment_order_number,
                     "day": row.payment_order_date, "since": row.run_date,
                     "amount": int(owed) - (int(row.amount) if tied else 0)})  # fmt: skip
    for prefix, where, sign in (
        (UNALLOCATED_PREFIX, _not_allocated(), 1),
        (AGENT_PREFIX, t.c.register_id.is_(None), -1),
    ):
        query = select(t.c.id, t.c.channel, t.c.number, t.c.date, t.c.amount).select_from(_credited(prefix))
        for row in conn.execute(query.where(where).order_by(t.c.id)).all():
            rows.append({"account": prefix + row.channel, "channel": row.channel, "kind": "transfer", "ref": row.id,
                         "file": None, "number": row.number, "day": row.date, "since": row.date,
                         "amount": sign * int(row.amount)})  # fmt: skip
    return pd.DataFrame(rows, columns=ITEM_COLUMNS)
