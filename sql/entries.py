"""Single ledger entries: п/п receipts, reversals and suspense → supplier reclassifications; and
entries naming no payment written many at once as one batch (``post_entries``: a preparation's
fees, its payment orders).

The ledger is append-only: a correction is a new entry that reverses or reclassifies, never an
edit. Each entry has a ``source_key`` so that writing it again is a no-op.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, text

from domain.ledger import (
    SUSPENSE,
    EntryKind,
    UnbalancedEntry,
    allocation_postings,
    reclass_postings,
    require_balanced_legs,
    transfer_postings,
)
from sql.bulk import allocate_ids, lock_ledger
from sql.chain import link_batch, plain_batch_hashes, single_entry_hash
from sql.partitions import ensure_months
from sql.posting import add_to_balances


class LedgerError(Exception):
    """A correction that the ledger's current state does not allow."""


_INSERT_ENTRY = text(
    "INSERT INTO ledger_entry (id, kind, source_key, payment_id, reverses_id, value_date, batch,"
    " description, document_version, hash) VALUES (:id, :kind, :source_key, :payment_id, :reverses_id,"
    " :value_date, :batch, :description, :document_version, :hash)"
)
_INSERT_LEG = text(
    "INSERT INTO ledger_posting (entry_id, leg, account, amount, service, value_date)"
    " VALUES (:entry_id, :leg, :account, :amount, :service, :value_date)"
)


def post_entry(
    conn: Connection,
    *,
    kind: str,
    source_key: str,
    value_date: date,
    postings: Sequence[tuple[str, int, str | None]],
    payment_id: int | None = None,
    reverses_id: int | None = None,
    description: str = "",
    document_version: int | None = None,
) -> int | None:
    """Write one balanced entry; return its id, or None if ``source_key`` was already posted.

    ``document_version`` is the version of the ПД whose lines split the money (reclassifications)."""
    if sum(amount for _, amount, _ in postings) != 0:
        raise UnbalancedEntry(f"{source_key}: postings sum to {sum(a for _, a, _ in postings)}")
    batch = str(uuid.uuid4())
    lock_ledger(conn)
    taken = conn.execute(text("SELECT 1 FROM ledger_entry WHERE source_key = :k"), {"k": source_key}).first()
    if taken is not None:
        return None
    nonzero = [(acc, amt, svc) for acc, amt, svc in postings if amt != 0]
    # the id first: it is part of the content the entry's hash covers, which is written with it
    entry_id = allocate_ids(conn, "ledger_entry", 1)[0]
    # the same checks as a register's legs: two legs at least, and the database holds what was sent
    require_balanced_legs(np.full(len(nonzero), entry_id, dtype=np.int64), np.array([a for _, a, _ in nonzero]), 1)
    entry = {"id": entry_id, "kind": kind, "source_key": source_key, "value_date": value_date,
             "payment_id": payment_id, "reverses_id": reverses_id, "document_version": document_version,
             "batch": batch, "description": description}  # fmt: skip
    legs = [{"entry_id": entry_id, "leg": i, "account": acc, "amount": int(amt), "service": svc,
             "value_date": value_date} for i, (acc, amt, svc) in enumerate(nonzero, 1)]  # fmt: skip
    entry["hash"] = single_entry_hash(conn, entry, legs)
    conn.execute(_INSERT_ENTRY, entry)
    ensure_months(conn, [value_date])
    conn.execute(_INSERT_LEG, legs)
    add_to_balances(conn, entry_id, entry_id, len(legs), (value_date, value_date))
    link_batch(conn, batch, head=entry["hash"], entries=1, legs=len(legs), first=entry_id, last=entry_id)
    return entry_id


@dataclass(frozen=True)
class NewEntry:
    """One balanced entry naming no payment, to be written with others by ``post_entries``."""

    kind: str
    source_key: str
    value_date: date
    postings: Sequence[tuple[str, int, str | None]]
    description: str = ""


def post_entries(conn: Connection, entries: Sequence[NewEntry]) -> list[int | None]:
    """Write many entries naming no payment (a day's fees, its payment orders) as one batch: one id
    block, one chain, one balance update. Returns each entry's id in the order given, None for a
    ``source_key`` already posted (as ``post_entry``). Hundreds of single entries would each pay
    their own id reservation, hash, balance update and batch link."""
    for e in entries:
        if sum(amount for _, amount, _ in e.postings) != 0:
            raise UnbalancedEntry(f"{e.source_key}: postings sum to {sum(a for _, a, _ in e.postings)}")
    keys = [e.source_key for e in entries]
    if len(set(keys)) != len(keys):
        raise LedgerError("one source_key twice in one batch of entries")
    lock_ledger(conn)
    taken = set(_taken_keys(conn, keys)) if keys else set()
    fresh = [e for e in entries if e.source_key not in taken]
    if not fresh:
        return [None] * len(entries)
    batch = str(uuid.uuid4())
    ids = allocate_ids(conn, "ledger_entry", len(fresh))
    rows, legs = [], []
    for entry_id, e in zip(ids, fresh, strict=True):
        rows.append({"id": entry_id, "kind": e.kind, "source_key": e.source_key, "value_date": e.value_date,
                     "payment_id": None, "reverses_id": None, "document_version": None, "batch": batch,
                     "description": e.description})  # fmt: skip
        legs.extend({"entry_id": entry_id, "leg": i, "account": acc, "amount": int(amt), "service": svc,
                     "value_date": e.value_date}
                    for i, (acc, amt, svc) in enumerate([p for p in e.postings if p[1] != 0], 1))  # fmt: skip
    require_balanced_legs(np.array([leg["entry_id"] for leg in legs], dtype=np.int64),
                          np.array([leg["amount"] for leg in legs], dtype=np.int64), len(fresh))  # fmt: skip
    for row, digest in zip(rows, plain_batch_hashes(rows, legs), strict=True):
        row["hash"] = digest
    days = sorted({e.value_date for e in fresh})
    conn.execute(_INSERT_ENTRY, rows)
    ensure_months(conn, days)
    conn.execute(_INSERT_LEG, legs)
    add_to_balances(conn, ids[0], ids[-1], len(legs), (days[0], days[-1]))
    link_batch(conn, batch, head=rows[-1]["hash"], entries=len(rows), legs=len(legs), first=ids[0], last=ids[-1])
    written = {e.source_key: entry_id for entry_id, e in zip(ids, fresh, strict=True)}
    return [written.get(k) for k in keys]


def _taken_keys(conn: Connection, keys: list[str]) -> list[str]:
    """Which of ``keys`` are posted already."""
    query = text("SELECT source_key FROM ledger_entry WHERE source_key IN :keys").bindparams(
        bindparam("keys", expanding=True)
    )
    return [str(k) for (k,) in conn.execute(query, {"keys": keys})]


def post_transfer(
    conn: Connection, *, bank: str, channel: str, amount: int, number: str, on: date, payer_account: str,
    claimed: bool = True,
) -> int | None:  # fmt: skip
    """Post a п/п received from an agent (Dr bank, Cr agent; Cr agent_unallocated while no posted
    register claims it, ``claimed`` false); idempotent per п/п.

    The key is the п/п as the statement reader tells transfers apart (date, number, payer account
    and amount): two п/п of one number and day with different sums are both received money. Keys
    written before 2026-11-23 lack the amount; their transfers are marked posted, so they are not
    posted again."""
    legs = [(acc, amt, None) for acc, amt in transfer_postings(bank, channel, amount, claimed=claimed)]
    return post_entry(
        conn,
        kind=EntryKind.TRANSFER,
        source_key=f"transfer:{on.isoformat()}:{number}:{payer_account}:{amount}",
        value_date=on,
        postings=legs,
        description=f"п/п № {number} от {on:%d.%m.%Y}",
    )


def post_allocation(
    conn: Connection, *, receipt_id: int, channel: str, amount: int, on: date, number: str, register_id: int
) -> int | None:
    """Move a п/п received into agent_unallocated to agent:<channel> now that its register is posted
    and tied (Dr agent_unallocated, Cr agent); idempotent: one allocation per receipt entry."""
    return post_entry(
        conn,
        kind=EntryKind.ALLOCATION,
        source_key=f"allocation:{receipt_id}",
        value_date=on,
        postings=allocation_postings(channel, amount),
        description=f"п/п № {number} отнесён к реестру {register_id}",
    )


def reverse_entry(conn: Connection, entry_id: int, *, on: date, reason: str) -> int | None:
    """Write the entry that undoes ``entry_id``; idempotent (one reversal per entry)."""
    kind = conn.execute(text("SELECT kind FROM ledger_entry WHERE id = :id"), {"id": entry_id}).scalar()
    if kind is None:
        raise LedgerError(f"no ledger entry {entry_id}")
    if kind == EntryKind.REVERSAL:
        raise LedgerError(f"entry {entry_id} is itself a reversal; post the original again instead")
    legs = conn.execute(
        text("SELECT account, amount, service FROM ledger_posting WHERE entry_id = :id ORDER BY leg"),
        {"id": entry_id},
    ).all()
    payment_id = conn.execute(
        text("SELECT payment_id FROM ledger_entry WHERE id = :id"), {"id": entry_id}
    ).scalar()
    return post_entry(
        conn,
        kind=EntryKind.REVERSAL,
        source_key=f"reversal:{entry_id}",
        value_date=on,
        postings=[(acc, -amt, svc) for acc, amt, svc in legs],
        payment_id=payment_id,
        reverses_id=entry_id,
        description=reason,
    )


def suspense_amount(conn: Connection, payment_id: int) -> int:
    """How much of a payment sits in suspense now (credit, as a positive number)."""
    signed = conn.execute(
        text(
            "SELECT COALESCE(SUM(p.amount), 0) FROM ledger_posting p JOIN ledger_entry e"
            " ON e.id = p.entry_id WHERE e.payment_id = :pid AND p.account = :acc"
        ),
        {"pid": payment_id, "acc": SUSPENSE},
    ).scalar()
    return -int(signed or 0)


def reclassify(
    conn: Connection, payment_id: int, splits: pd.DataFrame, *, on: date, description: str,
    document_version: int | None = None,
) -> int | None:  # fmt: skip
    """Move a suspense payment to its suppliers (Dr suspense, Cr suppliers) by a new entry.

    ``splits`` (supplier_inn, service, amount) must sum to what the payment has in suspense;
    ``document_version`` is the version of the ПД whose lines they were split by.
    Returns the new entry id, or None if this payment was already reclassified (by an entry not
    reversed since: an assignment undone in the workbench may be made again, under a new key).
    """
    entries = reclassify_parts(conn, payment_id, [(splits, document_version, description)], on=on)
    return entries[0] if entries else None


def reclassify_parts(
    conn: Connection, payment_id: int, parts: Sequence[tuple[pd.DataFrame, int | None, str]], *, on: date
) -> list[int] | None:
    """Move a suspense payment to its suppliers in parts, one entry per part (Dr suspense the part,
    Cr the suppliers it was split to), all in the caller's transaction.

    Each part is (splits: supplier_inn, service, amount; the version of the ПД it was split by; the
    entry's description); the parts must sum to what the payment has in suspense (else
    ``LedgerError``, nothing written). The entries are keyed ``reclass:<payment>``, then
    ``reclass:<payment>:2``, ``:3``… in the order of the payment's reclassifications. Returns the
    new entry ids, or None if the payment was already reclassified by an entry not reversed since.
    """
    held = suspense_amount(conn, payment_id)
    # by the payment's index (a reversal names the payment of what it reverses): source_key LIKE
    # and reverses_id have none
    rows = conn.execute(
        text("SELECT id, kind, source_key, reverses_id FROM ledger_entry WHERE payment_id = :pid"), {"pid": payment_id}
    ).all()
    undone = {r.reverses_id for r in rows if r.kind == EntryKind.REVERSAL}
    prior = [(r.source_key, r.id) for r in rows if r.kind == EntryKind.RECLASS]
    if any(entry not in undone for _, entry in prior):
        return None
    keys = len([k for k, _ in prior if k == f"reclass:{payment_id}" or k.startswith(f"reclass:{payment_id}:")])
    if held <= 0:
        raise LedgerError(f"payment {payment_id} has nothing in suspense")
    total = sum(int(splits["amount"].sum()) for splits, _, _ in parts)
    if total != held:  # checked before any entry is written: all parts or none
        raise UnbalancedEntry(f"reclassification parts {total} != {held}")
    written = []
    for n, (splits, version, description) in enumerate(parts, keys + 1):
        legs = reclass_postings(int(splits["amount"].sum()), splits)
        entry = post_entry(
            conn,
            kind=EntryKind.RECLASS,
            source_key=f"reclass:{payment_id}" + (f":{n}" if n > 1 else ""),
            value_date=on,
            postings=[(r.account, int(r.amount), r.service) for r in legs.itertuples()],
            payment_id=payment_id,
            description=description,
            document_version=version,
        )
        if entry is None:  # the numbering above counts every key of the payment: a taken one is a bug
            raise LedgerError(f"payment {payment_id}: reclassification key {n} already posted")
        written.append(entry)
    return written
