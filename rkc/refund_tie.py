"""The bank's debits against the refunds' payment orders (docs/LEDGER.md «Refunds to payers»).

Refund orders share the payouts' numbers, so a debit's number and date name a payout or a refund,
never both: the night's debits are offered to the refunds prepared and not yet debited first
(``domain.payouts.tie_debits``, the payouts' rule), and what no refund claims goes on to the
payouts (``rkc.payout_tie``). A match of amount and recipient account posts Dr refunds_payable,
Cr bank (``refund_settled``, once per refund) and marks the refund settled; a debit of a refund's
number and date that differs is PAYOUT_MISMATCH; a refund not debited ``payouts.missing_days``
after its date is PAYOUT_MISSING; each detail says it is a refund.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import Connection

from domain.codes import Code
from domain.payouts import DEBIT_COLUMNS, PAYOUT_COLUMNS, DebitOutcome, missing_payouts, tie_debits
from domain.refunds import RefundStatus
from rkc.config import Config
from sql import payouts as payout_store
from sql import refunds as store
from sql.users import audit

ACTOR = "night"  # who the audit log names for a settlement
PREFIX = "Возврат плательщику: "


@dataclass(frozen=True)
class RefundTie:
    """What the refunds took of the night's debits: the debits they claimed, the discrepancies
    (rows for ``discrepancy``) and the counts."""

    claimed: set[int] = field(default_factory=set)
    flags: list[dict] = field(default_factory=list)
    settled: int = 0
    mismatched: int = 0
    missing: int = 0


def tie_refund_debits(conn: Connection, config: Config, debits: pd.DataFrame, run_date: date) -> RefundTie:
    """Settle the refunds the night's ``debits`` (``sql.payouts.untied_debits``) pay; flag the rest."""
    refunds = store.open_refunds(conn)
    if refunds.empty:
        return RefundTie()
    tied = tie_debits(refunds[PAYOUT_COLUMNS], debits[DEBIT_COLUMNS])
    tied = tied[tied["outcome"] != DebitOutcome.UNKNOWN.value]  # not a refund's: the payouts judge it
    by_debit, by_refund = debits.set_index("debit_id"), refunds.set_index("payout_id")
    flags = []
    for t in tied.itertuples():
        debit, refund_id = by_debit.loc[t.debit_id], int(t.payout_id)
        if t.outcome == DebitOutcome.SETTLED:
            refund = by_refund.loc[refund_id]
            when = debit["debited"] if pd.notna(debit["debited"]) else debit["date"]
            said = f"возврат № {refund_id}, п/п № {refund['number']} списано"
            entry = store.post_settled(conn, refund_id, int(refund["payment_id"]), config.center_account,
                                       int(refund["amount"]), on=when, description=said)  # fmt: skip
            store.set_refund(conn, refund_id, status=RefundStatus.SETTLED.value, settled_entry_id=entry,
                             debit_id=int(t.debit_id))  # fmt: skip
            after = {"status": RefundStatus.SETTLED.value, "entry_id": entry, "debit_id": int(t.debit_id)}
            audit(conn, ACTOR, "refund_settle", f"refund:{refund_id}",
                  json.dumps({"status": RefundStatus.PREPARED.value}), json.dumps(after))
        else:
            flags.append({"code": t.outcome, "amount": int(debit["amount"]), "detail": PREFIX + t.detail,
                          "operation_id": str(debit["number"]), "paid_date": debit["date"].isoformat(),
                          "channel": "payouts"})  # fmt: skip
        payout_store.set_debit(conn, int(t.debit_id), t.outcome, None)
    settled = set(tied.loc[tied["outcome"] == DebitOutcome.SETTLED.value, "payout_id"].astype(int))
    still = refunds[~refunds["payout_id"].isin(settled)].set_index("payout_id", drop=False)
    late = missing_payouts(still[PAYOUT_COLUMNS], run_date, config.payouts.missing_days)
    flags += [{"code": Code.PAYOUT_MISSING.value, "amount": int(still.at[r.payout_id, "amount"]),
               "detail": PREFIX + r.detail, "operation_id": str(still.at[r.payout_id, "number"]), "paid_date": None,
               "channel": "payouts"} for r in late.itertuples()]  # fmt: skip
    return RefundTie(set(tied["debit_id"].astype(int)), flags, len(settled), len(tied) - len(settled), len(late))
