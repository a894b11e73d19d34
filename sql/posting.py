"""Posting payments to the ledger: set-based, idempotent, one transaction per register.

The batch is staged in temporary tables and moved with ``INSERT … SELECT … ON CONFLICT DO
NOTHING``, so posting the same payments again inserts nothing, and two runs racing on the same
payments cannot both post them (the second waits on the first's keys, then finds them taken).
A payment key seen before with a different amount raises ``PostingConflict`` before anything is
written. Entries are checked to balance before the caller commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, text

from domain.ledger import UnbalancedEntry, payment_postings
from sql.bulk import bulk_insert

STAGE_PAYMENT_COLUMNS = [
    "pidx", "channel", "operation_id", "occurrence", "line_no", "raw", "paid_date", "paid_time",
    "account_raw", "account", "uip", "els", "period", "amount", "commission", "payer", "address",
    "matched_uip", "match_rule", "source_key",
]  # fmt: skip
PAYMENT_TABLE_COLUMNS = [c for c in STAGE_PAYMENT_COLUMNS if c not in ("pidx", "source_key")]


class PostingConflict(Exception):
    """A payment key already posted with a different amount: refuse instead of succeeding silently."""


@dataclass(frozen=True)
class PostingResult:
    """What a posting call did."""

    batch: str
    payments_new: int
    payments_known: int
    entries: int
    postings: int


def payment_source_key(channel: pd.Series, operation_id: pd.Series, occurrence: pd.Series) -> pd.Series:
    """The idempotency key of a payment's ledger entry."""
    return "payment:" + channel.astype(str) + ":" + operation_id.astype(str) + ":" + occurrence.astype(str)


def _create_stage_tables(conn: Connection) -> None:
    pg = conn.dialect.name == "postgresql"
    temp = "TEMPORARY" if pg else "TEMP"
    suffix = " ON COMMIT DROP" if pg else ""
    conn.execute(text("DROP TABLE IF EXISTS stage_payment"))
    conn.execute(text("DROP TABLE IF EXISTS stage_posting"))
    conn.execute(
        text(
            f"CREATE {temp} TABLE stage_payment (pidx BIGINT PRIMARY KEY, channel TEXT, operation_id TEXT,"
            " occurrence INTEGER, line_no INTEGER, raw TEXT, paid_date DATE, paid_time TEXT,"
            " account_raw TEXT, account TEXT, uip TEXT, els TEXT, period TEXT, amount BIGINT,"
            " commission BIGINT, payer TEXT, address TEXT, matched_uip TEXT, match_rule TEXT,"
            f" source_key TEXT){suffix}"
        )
    )
    conn.execute(
        text(
            f"CREATE {temp} TABLE stage_posting (pidx BIGINT, account TEXT, amount BIGINT,"
            f" service TEXT){suffix}"
        )
    )


def _drop_stage_tables(conn: Connection) -> None:
    conn.execute(text("DROP TABLE IF EXISTS stage_payment"))
    conn.execute(text("DROP TABLE IF EXISTS stage_posting"))


def post_payments(
    conn: Connection, register_id: int, payments: pd.DataFrame, splits: pd.DataFrame
) -> PostingResult:
    """Post a register's payments with their splits as balanced ledger entries.

    ``payments`` has the payment columns plus ``pidx`` (unique in the batch), ``channel``,
    ``occurrence``, ``matched_uip`` and ``match_rule`` (None for suspense); ``splits`` has
    ``pidx``, ``supplier_inn``, ``service``, ``amount``. Runs inside the caller's transaction:
    the caller commits (or a failure rolls the whole register back).
    """
    batch = str(uuid.uuid4())
    if payments.empty:
        return PostingResult(batch, 0, 0, 0, 0)
    frame = payments.copy()
    frame["commission"] = frame["commission"].fillna(0).astype("int64")
    frame["source_key"] = payment_source_key(frame["channel"], frame["operation_id"], frame["occurrence"])
    postings = payment_postings(frame[["pidx", "channel", "amount", "commission"]], splits)

    _create_stage_tables(conn)
    bulk_insert(conn, "stage_payment", frame, STAGE_PAYMENT_COLUMNS)
    _refuse_conflicts(conn)
    cols = ", ".join(PAYMENT_TABLE_COLUMNS)
    inserted = conn.execute(
        text(
            f"INSERT INTO payment (register_id, {cols}) SELECT :rid, {cols} FROM stage_payment"  # noqa: S608
            " WHERE true ORDER BY pidx ON CONFLICT (channel, operation_id, occurrence) DO NOTHING"
        ),
        {"rid": register_id},
    ).rowcount
    entries = conn.execute(
        text(
            "INSERT INTO ledger_entry (kind, source_key, payment_id, value_date, batch, description)"
            " SELECT 'payment', s.source_key, p.id, s.paid_date, :batch, '' FROM stage_payment s"
            " JOIN payment p ON p.channel = s.channel AND p.operation_id = s.operation_id"
            " AND p.occurrence = s.occurrence"
            " WHERE p.register_id = :rid ORDER BY s.pidx ON CONFLICT (source_key) DO NOTHING"
        ),
        {"batch": batch, "rid": register_id},
    ).rowcount
    bulk_insert(conn, "stage_posting", postings, ["pidx", "account", "amount", "service"])
    posted = conn.execute(
        text(
            "INSERT INTO ledger_posting (entry_id, account, amount, service)"
            " SELECT e.id, sp.account, sp.amount, sp.service FROM stage_posting sp"
            " JOIN stage_payment s ON s.pidx = sp.pidx"
            " JOIN ledger_entry e ON e.source_key = s.source_key AND e.batch = :batch"
        ),
        {"batch": batch},
    ).rowcount
    _drop_stage_tables(conn)
    apply_batch(conn, batch)
    return PostingResult(batch, inserted, len(frame) - inserted, entries, posted)


def _refuse_conflicts(conn: Connection) -> None:
    rows = conn.execute(
        text(
            "SELECT s.channel, s.operation_id, s.occurrence, s.amount, p.amount, s.commission, p.commission"
            " FROM stage_payment s JOIN payment p ON p.channel = s.channel"
            " AND p.operation_id = s.operation_id AND p.occurrence = s.occurrence"
            " WHERE p.amount <> s.amount OR p.commission <> s.commission LIMIT 10"
        )
    ).all()
    if rows:
        listed = "; ".join(
            f"{ch}/{op}#{occ}: posted {old} (commission {oc}), now {new} (commission {nc})"
            for ch, op, occ, new, old, nc, oc in rows
        )
        raise PostingConflict(f"payments already posted with other amounts: {listed}")


def apply_batch(conn: Connection, batch: str) -> None:
    """Check that the batch's entries balance, then add its postings to the running balances."""
    unbalanced = conn.execute(
        text(
            "SELECT e.id, COALESCE(SUM(p.amount), 0), COUNT(p.id) FROM ledger_entry e"
            " LEFT JOIN ledger_posting p ON p.entry_id = e.id WHERE e.batch = :batch"
            " GROUP BY e.id HAVING COALESCE(SUM(p.amount), 0) <> 0 OR COUNT(p.id) < 2 LIMIT 10"
        ),
        {"batch": batch},
    ).all()
    if unbalanced:
        raise UnbalancedEntry(f"entries that do not balance (id, sum, legs): {unbalanced}")
    conn.execute(
        text(
            "INSERT INTO ledger_balance (account, balance)"
            " SELECT p.account, SUM(p.amount) FROM ledger_posting p"
            " JOIN ledger_entry e ON e.id = p.entry_id WHERE e.batch = :batch GROUP BY p.account"
            " ON CONFLICT (account) DO UPDATE SET balance = ledger_balance.balance + excluded.balance"
        ),
        {"batch": batch},
    )
