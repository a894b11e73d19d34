"""Accepting corrected ПД: money split by an older version moves to the current version's split.

A correction imported after money was split by a ПД is stored as a new version, and the money
stays where it was split until an accountant accepts the correction (``rkc charges accept`` or
``rkc charges import --accept-corrections``). Accepting moves each such payment by two entries in
one transaction: the reversal of its current split entry (``sql.entries.reverse_entry``) and a
repost of the same kind (``payment`` or ``reclass``) with the same non-supplier legs (agent and
commission, or suspense) and the supplier legs of the current version's split, keyed
``repost:<payment id>:v<version>`` and recording that version. A payment's entries of kind
``payment`` net of reversals stay one (``rkc ledger check``). Accepting again does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection, Engine

from domain.ledger import supplier_account
from domain.splitting import split_payments
from sql.corrections import entry_legs, held_payments, version_lines
from sql.entries import post_entry, reverse_entry
from sql.uow import UnitOfWork

SUPPLIER_PREFIX = supplier_account("")


@dataclass(frozen=True)
class Accepted:
    """What an acceptance moved: ПД, payments, their amount (kopecks), entries written."""

    documents: int = 0
    payments: int = 0
    amount: int = 0
    entries: int = 0


def accept_corrections(engine: Engine, on: date, uips: Sequence[str] | None = None) -> Accepted:
    """Move the money of every payment split by an older version of the ПД ``uips`` (all
    corrected ПД when ``None``) to the current version's split, in one transaction dated ``on``."""
    with UnitOfWork(engine) as uow:
        accepted = accept_in(uow.conn, on, uips)
        uow.commit()
    return accepted


def accept_in(conn: Connection, on: date, uips: Sequence[str] | None = None) -> Accepted:
    """``accept_corrections`` inside the caller's transaction."""
    held = held_payments(conn, uips)
    if held.empty:
        return Accepted()
    lines = version_lines(conn, held[["uip", "current_version"]].rename(columns={"current_version": "version"}))
    legs = entry_legs(conn, held["entry_id"].tolist())
    is_supplier = legs["account"].str.startswith(SUPPLIER_PREFIX)
    split_amount = (-legs.loc[is_supplier].groupby("entry_id")["amount"].sum()).reindex(held["entry_id"], fill_value=0)
    kept = legs[~is_supplier]
    matched = pd.DataFrame({"payment_id": held["payment_id"], "uip": held["uip"],
                            "amount": split_amount.to_numpy(dtype="int64")})  # fmt: skip
    parts = split_payments(matched, lines).parts
    new_legs = {
        pid: [(supplier_account(str(i)), -int(m), str(s)) for i, s, m in
              group[["supplier_inn", "service", "amount"]].itertuples(index=False)]
        for pid, group in parts.groupby("payment_id", sort=False)
    }  # fmt: skip
    old_legs = {
        eid: [(str(a), int(m), s) for a, m, s in group[["account", "amount", "service"]].itertuples(index=False)]
        for eid, group in kept.groupby("entry_id", sort=False)
    }
    written = 0
    for row in held.itertuples():  # one payment's entries at a time: post_entry writes single entries
        reason = f"исправление ПД {row.uip} принято: версия {row.current_version} вместо {row.entry_version}"
        written += reverse_entry(conn, int(row.entry_id), on=on, reason=reason) is not None
        postings = old_legs.get(row.entry_id, []) + new_legs.get(row.payment_id, [])
        written += post_entry(conn, kind=str(row.kind), source_key=f"repost:{row.payment_id}:v{row.current_version}",
                              value_date=on, postings=postings, payment_id=int(row.payment_id),
                              description=reason, document_version=int(row.current_version)) is not None  # fmt: skip
    return Accepted(int(held["uip"].nunique()), len(held), int(held["amount"].sum()), written)
