"""Storage of refunds to payers (``refund``), what the ledger holds of a payment, and the entries
that post, settle and cancel a refund (through ``sql.entries``: the hash chain covers them)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import BigInteger, Connection, cast, func, insert, select, text, update

from domain.ledger import COLLECTING_KINDS, SUSPENSE, EntryKind, refund_postings, refund_settled_postings
from domain.refunds import HOLDING_COLUMNS, POSTED, RefundStatus
from sql.engine import is_postgres
from sql.entries import post_entry
from sql.models import Payment, Refund, Register

_HOLDINGS = text(
    "SELECT p.account, p.service, -SUM(p.amount) AS amount FROM ledger_posting p"
    " JOIN ledger_entry e ON e.id = p.entry_id WHERE e.payment_id = :pid"
    " AND (p.account = :suspense OR p.account LIKE 'supplier:%') GROUP BY p.account, p.service"
)
_ENTRIES = text("SELECT id, kind, reverses_id FROM ledger_entry WHERE payment_id = :pid")
_COLLECTING = tuple(k.value for k in COLLECTING_KINDS)


def payment_row(conn: Connection, payment_id: int) -> dict | None:
    """A stored payment (id, channel, operation_id, paid_date, payer, amount) and its register's
    status (``register_status``), or None."""
    p = Payment.__table__.c
    query = (select(p.id, p.channel, p.operation_id, p.paid_date, p.payer, p.amount,
                    Register.status.label("register_status"))
             .join_from(Payment, Register, Register.id == p.register_id, isouter=True)
             .where(p.id == payment_id))  # fmt: skip
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def holdings(conn: Connection, payment_id: int) -> pd.DataFrame:
    """Where a payment's money is now (``domain.refunds.HOLDING_COLUMNS``): suspense and supplier
    legs of every entry naming it, net, credit positive; accounts holding nothing left out."""
    frame = pd.read_sql_query(_HOLDINGS, conn, params={"pid": payment_id, "suspense": SUSPENSE})
    frame["amount"] = frame["amount"].astype("int64")
    frame["service"] = frame["service"].astype(object).where(frame["service"].notna(), None)
    return frame.loc[frame["amount"] != 0, HOLDING_COLUMNS].reset_index(drop=True)


def entry_facts(conn: Connection, payment_id: int) -> tuple[bool, bool]:
    """(posted, standing): whether any entry names the payment, and whether one of its payment or
    reclassification entries stands (is not reversed)."""
    rows = conn.execute(_ENTRIES, {"pid": payment_id}).all()
    undone = {r.reverses_id for r in rows if r.kind == EntryKind.REVERSAL.value}
    standing = any(r.kind in _COLLECTING and r.id not in undone for r in rows)
    return bool(rows), standing


def amounts_by_status(conn: Connection, payment_id: int) -> tuple[int, int]:
    """(refunded, pending) of a payment: refunds whose entry stands, and requests waiting."""
    r = Refund.__table__.c
    rows = conn.execute(select(r.status, func.sum(r.amount)).where(r.payment_id == payment_id).group_by(r.status))
    sums = {status: int(total or 0) for status, total in rows}
    return sum(sums.get(s.value, 0) for s in POSTED), sums.get(RefundStatus.REQUESTED.value, 0)


def add_refund(conn: Connection, **values: object) -> int:
    """Insert a refund (payment_id, amount, payer's details, reason, status, requested_by, …); its id."""
    return int(conn.execute(insert(Refund).values(**values).returning(Refund.id)).scalar_one())


def get_refund(conn: Connection, refund_id: int, *, lock: bool = False) -> dict | None:
    """One refund as a dict, or None. ``lock`` takes a row lock (PostgreSQL) for a decision."""
    query = select(Refund.__table__).where(Refund.id == refund_id)
    if lock and is_postgres(conn):
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def set_refund(conn: Connection, refund_id: int, **values: object) -> None:
    """Change a refund's status, decision, order or entries."""
    conn.execute(update(Refund).where(Refund.id == refund_id).values(**values))


def decide(conn: Connection, refund_id: int, **values: object) -> None:
    """Record a decision on a refund (status, decided_by, decision_note, entry_id), stamped now."""
    conn.execute(update(Refund).where(Refund.id == refund_id).values(**values, decided_at=func.current_timestamp()))


def refunds(conn: Connection, *, statuses: tuple[str, ...] | None = None, payment_id: int | None = None,
            limit: int = 500) -> list[dict]:  # fmt: skip
    """Refunds, oldest first (of these statuses, of one payment), with the payment's operation id
    and date."""
    r, p = Refund.__table__.c, Payment.__table__.c
    query = select(r, p.operation_id, p.paid_date, p.channel).join_from(Refund, Payment, p.id == r.payment_id,
                                                                         isouter=True)  # fmt: skip
    if statuses is not None:
        query = query.where(r.status.in_(statuses))
    if payment_id is not None:
        query = query.where(r.payment_id == payment_id)
    return [dict(row) for row in conn.execute(query.order_by(r.id).limit(limit)).mappings()]


def to_prepare(conn: Connection) -> pd.DataFrame:
    """Approved refunds without a payment order yet, oldest first, with their payment's operation id
    and date: ``refund_id``, ``amount``, ``payer_name``, ``account``, ``bic``, ``inn``,
    ``operation_id``, ``paid_date``."""
    r, p = Refund.__table__.c, Payment.__table__.c
    query = (select(r.id.label("refund_id"), r.amount, r.payer_name, r.account, r.bic, r.inn, p.operation_id,
                    p.paid_date).join_from(Refund, Payment, p.id == r.payment_id)
             .where(r.status == RefundStatus.APPROVED.value, r.order_number.is_(None)).order_by(r.id))  # fmt: skip
    frame = pd.read_sql_query(query, conn)
    frame["paid_date"] = pd.to_datetime(frame["paid_date"]).dt.date
    return frame


def refunds_of(conn: Connection, day: date) -> pd.DataFrame:
    """The refunds whose payment order is of ``day``, in number order, every column."""
    frame = pd.read_sql_query(select(Refund).where(Refund.order_date == day).order_by(Refund.id), conn)
    frame["order_date"] = pd.to_datetime(frame["order_date"]).dt.date
    return frame


def last_number(conn: Connection) -> int | None:
    """The number of the last payment order given to a refund (None: none yet)."""
    # the highest, not the newest row's: orders are numbered when prepared, not when asked
    value = conn.execute(select(func.max(cast(Refund.order_number, BigInteger)))).scalar()
    return None if value is None else int(value)


def open_refunds(conn: Connection) -> pd.DataFrame:
    """Refunds with a payment order the bank has not debited, in the shape of
    ``domain.payouts.PAYOUT_COLUMNS`` (``payout_id`` is the refund's id) and ``payment_id``."""
    frame = pd.read_sql_query(
        select(Refund.id.label("payout_id"), Refund.order_number.label("number"), Refund.order_date.label("pay_date"),
               Refund.amount, Refund.account.label("bank_account"), Refund.payment_id)
        .where(Refund.status == RefundStatus.PREPARED.value).order_by(Refund.id), conn,
    )  # fmt: skip
    frame["pay_date"] = pd.to_datetime(frame["pay_date"]).dt.date
    return frame


def post_refund(conn: Connection, refund_id: int, payment_id: int, parts: pd.DataFrame, *, on: date,
                description: str) -> int | None:  # fmt: skip
    """Post refund ``refund_id``: Dr each of ``parts`` (``HOLDING_COLUMNS``), Cr refunds_payable;
    None if it was posted already."""
    legs = refund_postings([(r.account, int(r.amount), r.service) for r in parts.itertuples()])
    return post_entry(conn, kind=EntryKind.REFUND.value, source_key=f"refund:{refund_id}", value_date=on,
                      postings=legs, payment_id=payment_id, description=description)  # fmt: skip


def post_settled(conn: Connection, refund_id: int, payment_id: int, bank: str, amount: int, *, on: date,
                 description: str) -> int | None:  # fmt: skip
    """Post the bank's debit of refund ``refund_id`` (Dr refunds_payable, Cr bank); None if posted."""
    return post_entry(conn, kind=EntryKind.REFUND_SETTLED.value, source_key=f"refund_settled:{refund_id}",
                      value_date=on, postings=refund_settled_postings(bank, amount), payment_id=payment_id,
                      description=description)  # fmt: skip
