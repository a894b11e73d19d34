"""The bank's debits against the prepared payouts: settle them, flag the rest (docs/LEDGER.md).

The center's statements' outgoing documents (``ДатаСписано``) are stored once each
(``bank_debit``) and tied to the payouts still in transit (``domain.payouts.tie_debits``) on the
night their statement is read (and again by a rerun of that night): a match posts
Dr payouts_in_transit, Cr bank (once per payout) and marks the payout settled; otherwise it is
PAYOUT_MISMATCH or UNKNOWN_OUTGOING of that night. PAYOUT_MISSING is reported every night a
prepared payout is still not debited after ``payouts.missing_days``. All three are written anew
by every run of the night. Refunds to payers' orders share the numbers: the debits are offered
to them first (``rkc.refund_tie``), and the counts include them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Connection

from domain.codes import Code
from domain.ledger import EntryKind, payout_settled_postings
from domain.payouts import DEBIT_COLUMNS, PAYOUT_COLUMNS, DebitOutcome, PayoutStatus, missing_payouts, tie_debits
from domain.records import BankTransfer
from rkc.config import Config
from rkc.refund_tie import tie_refund_debits
from sql import payouts as store
from sql.entries import post_entry

STATE_CODES = (Code.PAYOUT_MISSING.value, Code.PAYOUT_MISMATCH.value, Code.UNKNOWN_OUTGOING.value)


@dataclass(frozen=True)
class DebitSummary:
    """What tying the debits did in a night (payment orders to suppliers and to payers refunded)."""

    settled: int
    mismatched: int
    unknown: int
    missing: int


def debit_rows(statement_id: int, outgoing: list[BankTransfer]) -> pd.DataFrame:
    """The ``bank_debit`` rows of a statement's outgoing documents."""
    return pd.DataFrame(
        [{"statement_id": statement_id, "number": t.number, "date": t.date.isoformat(),
          "debited": t.debited.isoformat() if t.debited else None, "amount": t.amount,
          "recipient_name": t.recipient_name, "recipient_inn": t.recipient_inn,
          "recipient_account": t.recipient_account, "recipient_bic": t.recipient_bic, "purpose": t.purpose}
         for t in outgoing]
    )  # fmt: skip


def tie_debits_of_night(conn: Connection, config: Config, run_date: date) -> DebitSummary:
    """Settle the payouts the stored debits pay; record the night's payout discrepancies."""
    debits = store.untied_debits(conn, run_date)
    refunds = tie_refund_debits(conn, config, debits, run_date)
    debits = debits[~debits["debit_id"].isin(refunds.claimed)]
    payouts = store.open_payouts(conn)
    tied = tie_debits(payouts[PAYOUT_COLUMNS], debits[DEBIT_COLUMNS])
    by_debit = debits.set_index("debit_id")
    by_payout = payouts.set_index("payout_id")
    flags = []
    for t in tied.itertuples():
        debit = by_debit.loc[t.debit_id]
        payout_id = None if pd.isna(t.payout_id) else int(t.payout_id)
        if t.outcome == DebitOutcome.SETTLED:
            paid = by_payout.loc[payout_id]
            when = debit["debited"] if pd.notna(debit["debited"]) else debit["date"]
            legs = payout_settled_postings(config.center_account, int(paid["amount"]))
            entry = post_entry(conn, kind=EntryKind.PAYOUT_SETTLED.value, source_key=f"payout_settled:{payout_id}",
                               value_date=when, postings=legs,
                               description=f"п/п № {paid['number']} списано")  # fmt: skip
            store.set_payout(conn, payout_id, status=PayoutStatus.SETTLED.value, settled_entry_id=entry,
                             debit_id=int(t.debit_id))  # fmt: skip
        else:
            flags.append({"code": t.outcome, "amount": int(debit["amount"]), "detail": t.detail,
                          "operation_id": str(debit["number"]), "paid_date": debit["date"].isoformat(),
                          "channel": "payouts"})  # fmt: skip
        store.set_debit(conn, int(t.debit_id), t.outcome, payout_id)
    settled = set(tied.loc[tied["outcome"] == DebitOutcome.SETTLED.value, "payout_id"].dropna().astype(int))
    still = payouts[~payouts["payout_id"].isin(settled)]
    late = missing_payouts(still[PAYOUT_COLUMNS], run_date, config.payouts.missing_days)
    amounts = still.set_index("payout_id")["amount"]
    flags += [{"code": Code.PAYOUT_MISSING.value, "amount": int(amounts[r.payout_id]), "detail": r.detail,
               "operation_id": str(still.set_index("payout_id").loc[r.payout_id, "number"]), "paid_date": None,
               "channel": "payouts"} for r in late.itertuples()]  # fmt: skip
    flags += refunds.flags
    frame = pd.DataFrame(flags, columns=["code", "amount", "detail", "operation_id", "paid_date", "channel"])
    store.replace_flags(conn, run_date, STATE_CODES, frame)
    count = tied["outcome"].value_counts()
    settled, mismatched, unknown = (int(count.get(o.value, 0)) for o in DebitOutcome)
    return DebitSummary(settled + refunds.settled, mismatched + refunds.mismatched, unknown,
                        len(late) + refunds.missing)  # fmt: skip
