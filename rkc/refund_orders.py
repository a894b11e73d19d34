"""Refunds in the payouts files: ``rkc payouts prepare`` gives every approved refund without an order
a payment order of the date (numbered on from the suppliers' orders, one sequence), and the day's
files carry them (docs/REPORTS.md «Refunds to payers»).

Called inside the preparation's transaction, once per date: a date prepared again gives no new
numbers, so its files are the same bytes; a refund approved later waits for the next date.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
from sqlalchemy import Connection

from domain.refunds import RefundStatus, purpose
from reports.payment_orders import Order
from sql import refunds as store
from sql.users import audit

ACTOR = "payouts"  # who the audit log names for a preparation (a flow or the command line)


def last_number(conn: Connection) -> int:
    """The highest order number a refund holds (0: none)."""
    return store.last_number(conn) or 0


def prepare_refunds(conn: Connection, day: date, after: int) -> tuple[int, int]:
    """Number the approved refunds without an order from ``after`` + 1 on, dated ``day``; returns
    (how many, the last number given)."""
    due = store.to_prepare(conn)
    number = after
    for r in due.itertuples():  # a few a day; each an audited change of one row
        number += 1
        store.set_refund(conn, int(r.refund_id), status=RefundStatus.PREPARED.value, order_number=str(number),
                         order_date=day, purpose=purpose(str(r.operation_id), r.paid_date))  # fmt: skip
        audit(conn, ACTOR, "refund_prepare", f"refund:{r.refund_id}",
              json.dumps({"status": RefundStatus.APPROVED.value}),
              json.dumps({"status": RefundStatus.PREPARED.value, "order_number": str(number),
                          "order_date": day.isoformat()}))  # fmt: skip
    return len(due), number


def refunds_of(conn: Connection, day: date) -> pd.DataFrame:
    """The refunds with an order of ``day`` (every ``refund`` column), in number order."""
    return store.refunds_of(conn, day)


def orders(refunds: pd.DataFrame) -> list[Order]:
    """The payment orders of the refunds not cancelled: the payer is the recipient (no КПП)."""
    live = refunds[refunds["status"] != RefundStatus.CANCELLED.value]
    return [Order(r.order_number, r.order_date, int(r.amount), r.payer_name, r.inn or "", "", r.account, r.bic,
                  r.purpose) for r in live.itertuples()]  # fmt: skip
