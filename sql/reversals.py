"""The entries a user's reversal undoes, and the record that it was done (``reversal_request``)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Connection, insert, select, text, update

from domain.duplicates import KEY_COLUMNS, RECALL_STEP
from domain.ledger import COLLECTING_KINDS, EntryKind
from domain.refunds import RefundStatus
from domain.statuses import RegisterStatus
from sql.bulk import staged
from sql.models import BankTransfer, Payment, Refund, Register, ReversalRequest

_KINDS = tuple(k.value for k in COLLECTING_KINDS)
_ENTRIES = "SELECT e.id, e.kind, e.reverses_id FROM ledger_entry e JOIN payment p ON p.id = e.payment_id WHERE "
_LIVE_BY_REGISTER = text(_ENTRIES + "p.register_id = :id")
_LIVE_BY_PAYMENT = text(_ENTRIES + "p.id = :id")


def earlier_request(conn: Connection, subject: str, subject_id: int) -> dict | None:
    """The reversal of this register or payment already made (created_at, reason), if any."""
    row = conn.execute(
        select(ReversalRequest.created_at, ReversalRequest.reason, ReversalRequest.value_date)
        .where(ReversalRequest.subject == subject, ReversalRequest.subject_id == subject_id)
    ).mappings().first()  # fmt: skip
    return None if row is None else dict(row)


def record_request(conn: Connection, subject: str, subject_id: int, reason: str, entries: int, on: date) -> None:
    """Record a reversal (the unique subject refuses a second one even from a racing process)."""
    conn.execute(insert(ReversalRequest).values(subject=subject, subject_id=subject_id, reason=reason,
                                                entries=entries, value_date=on))  # fmt: skip


def register_row(conn: Connection, register_id: int) -> dict | None:
    """A register's id, file, channel, format and status."""
    row = conn.execute(select(Register.id, Register.file, Register.channel, Register.format, Register.status)
                       .where(Register.id == register_id)).mappings().first()  # fmt: skip
    return None if row is None else dict(row)


def payment_register(conn: Connection, payment_id: int) -> int | None:
    """The register a payment came in, or None when no such payment is stored."""
    return conn.execute(select(Payment.register_id).where(Payment.id == payment_id)).scalar()


def set_recalled(conn: Connection, register_id: int, reason: str) -> None:
    """Mark a register recalled by its agent, and free the п/п that paid it: the agent's corrected
    copy, sent again, is paid by that same п/п and ties to it (the register keeps ``transfer_id``
    as its history; the п/п's receipt entry stands, the money did arrive)."""
    recalled = update(Register).where(Register.id == register_id).values(status=RegisterStatus.RECALLED, reason=reason)
    conn.execute(recalled)
    conn.execute(update(BankTransfer).where(BankTransfer.register_id == register_id).values(register_id=None))


def live_entries(conn: Connection, *, register_id: int | None = None, payment_id: int | None = None) -> list[int]:
    """The payment and reclassification entries of a register's payments (or of one payment) that
    no reversal undoes yet, in id order."""
    query = _LIVE_BY_REGISTER if register_id is not None else _LIVE_BY_PAYMENT
    rows = conn.execute(query, {"id": register_id if register_id is not None else payment_id}).all()
    undone = {r.reverses_id for r in rows if r.kind == EntryKind.REVERSAL.value}
    return sorted(r.id for r in rows if r.kind in _KINDS and r.id not in undone)


def standing_refunds(conn: Connection, *, register_id: int | None = None,
                     payment_id: int | None = None) -> list[dict]:
    """Refunds of a register's payments (or of one payment) whose refund entry is posted and not
    cancelled (approved, prepared or paid): id, payment id, status and amount, in id order. One still
    waiting for approval has no entry yet; its approval judges the payment again."""
    posted = (RefundStatus.APPROVED.value, RefundStatus.PREPARED.value, RefundStatus.SETTLED.value)
    query = select(Refund.id, Refund.payment_id, Refund.status, Refund.amount).where(
        Refund.status.in_(posted)).order_by(Refund.id)  # fmt: skip
    if register_id is not None:
        query = query.join(Payment, Payment.id == Refund.payment_id).where(Payment.register_id == register_id)
    else:
        query = query.where(Refund.payment_id == payment_id)
    return [dict(r) for r in conn.execute(query).mappings()]


def recalled_copies(conn: Connection, keys: pd.DataFrame) -> pd.DataFrame:
    """For payment keys (``KEY_COLUMNS``) of the night: how many payments of the same key (modulo
    ``RECALL_STEP``) recalled registers hold (``copies``); only keys that have some. Channels with no
    recalled register (nearly always all of them) are not looked up at all."""
    channels = sorted(set(keys["channel"].unique()))
    recalled = set(conn.execute(select(Register.channel).where(Register.status == RegisterStatus.RECALLED,
                                                               Register.channel.in_(channels))).scalars())  # fmt: skip
    probe = keys[keys["channel"].isin(recalled)].drop_duplicates()
    if probe.empty:
        return pd.DataFrame(columns=[*KEY_COLUMNS, "copies"])
    with staged(conn, "probe_recall", probe, {"channel": "TEXT", "operation_id": "TEXT", "occurrence": "INTEGER"}):
        found = pd.read_sql_query(
            text(
                "SELECT k.channel, k.operation_id, k.occurrence, COUNT(*) AS copies FROM probe_recall k"
                " JOIN payment p ON p.channel = k.channel AND p.operation_id = k.operation_id"
                " JOIN register r ON r.id = p.register_id"
                " WHERE r.status = 'recalled' AND p.occurrence % :step = k.occurrence"
                " GROUP BY k.channel, k.operation_id, k.occurrence"
            ),
            conn,
            params={"step": RECALL_STEP},
        )
    found["operation_id"] = found["operation_id"].astype(object)
    return found.astype({"occurrence": "int64", "copies": "int64"})
