"""Payers' own п/п become the night's payments (docs/RULES.md, "Direct payments").

The night's statements are read before its decisions (``read_statements``): every incoming п/п is
stored once, credited to its agent's channel, or to the channel of payers' п/п (format
``statement``) when no agent sent it and the center did not pay itself (``domain.direct``). Then
each statement's payers' п/п not paid yet become one register of that channel in the night's
store: a payment per п/п, with its purpose text, decided, posted and reported like any register
(identifiers read from the purpose, rule ``purpose``). The tie-out ties each such п/п to its
payment's register (rule ``direct``) and receives it into the bank: Dr bank, Cr agent:<channel>.

Which п/п still need a payment is asked of the database, not of tonight's files: a run that died
after reading a statement and before posting its payers' п/п makes them on the next run, and a
п/п listed again by a later statement is stored once, so it is never paid twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from domain.direct import REGISTER_FORMAT, direct_payments, operation_ids, register_key
from rkc.bank_statements import StatementsRead, read_statements
from rkc.config import Config
from rkc.intake import PARSED, Intake
from rkc.workfiles import NightStore, write_errors, write_payments
from sql import transfers
from sql.queries import posted_keys


@dataclass(frozen=True)
class DirectNight:
    """What the night's statements gave before its decisions: what reading them did, and an intake
    per statement with payers' п/п to pay (JSON-able through ``to_dict``)."""

    read: StatementsRead
    intakes: list[Intake] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain dict for passing between tasks."""
        return {"read": self.read.to_dict(), "intakes": [i.to_dict() for i in self.intakes]}


def read_direct_night(config: Config, engine: Engine, run_date: date, work_dir: Path) -> DirectNight:
    """Read the night's statements and make the intakes of their payers' п/п (``direct_intakes``)."""
    read = read_statements(config, engine, run_date)
    return DirectNight(read, direct_intakes(config, engine, work_dir))


def direct_intakes(config: Config, engine: Engine, work_dir: Path) -> list[Intake]:
    """One parsed intake per statement whose payers' п/п have no payment yet, written into the
    night's store (``NightStore``) like a register read from a file; none without the channel."""
    channel = config.direct_channel
    if channel is None:
        return []
    with engine.connect() as conn:
        waiting = transfers.waiting_direct(conn, channel)
        if waiting.empty:
            return []
        ops = operation_ids(waiting)
        keys = pd.DataFrame({"channel": channel, "operation_id": ops.to_numpy(), "occurrence": 1})
        paid = set(posted_keys(conn, keys)["operation_id"])
    waiting = waiting[~ops.isin(paid).to_numpy()]
    store = NightStore(work_dir).ensure()
    intakes = []
    for _, group in waiting.groupby("statement_id", sort=True):  # the night's statements: a few
        # a payer's own п/п: the channel's method (its default, direct_transfer unless configured)
        payments = direct_payments(group).assign(method=config.channels[channel].method.map.default.value)
        sha = register_key(str(group["sha256"].iloc[0]), payments["operation_id"])
        write_payments(payments, store.payments(sha))
        write_errors([], store.errors(sha))
        filed = str(group["stored_path"].iloc[0] or group["file"].iloc[0])
        total = int(payments["amount"].sum())
        declared = {"count": len(payments), "amount": total, "transfer": total, "commission": 0,
                    "payment_order_number": None, "payment_order_date": None}  # fmt: skip
        intakes.append(Intake(
            path=filed, channel=channel, sha256=sha, status=PARSED, format=REGISTER_FORMAT,
            payments_path=str(store.payments(sha)), errors_path=str(store.errors(sha)), declared=declared,
            lines=len(payments), records=len(payments), source_filed=filed,
        ))  # fmt: skip
    return intakes
