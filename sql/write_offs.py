"""Storage of write-off requests (``write_off_request``) and the ``write_off`` entry that posts one."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, func, insert, select, update

from domain.ledger import EntryKind, write_off_postings
from domain.writeoff import WriteOffStatus
from sql.engine import is_postgres
from sql.entries import post_entry
from sql.models import WorkCase, WriteOffRequest


def add_request(conn: Connection, **values: object) -> int:
    """Insert a request (case_id, payment_id, amount, reason, status, requested_by, …); its id."""
    return int(conn.execute(insert(WriteOffRequest).values(**values)).inserted_primary_key[0])


def get_request(conn: Connection, request_id: int, *, lock: bool = False) -> dict | None:
    """One request as a dict, or None. ``lock`` takes a row lock (PostgreSQL) for a decision."""
    query = select(WriteOffRequest.__table__).where(WriteOffRequest.id == request_id)
    if lock and is_postgres(conn):
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def decide(conn: Connection, request_id: int, **values: object) -> None:
    """Record a decision on a request (status, decided_by, decision_note, entry_id), stamped now."""
    conn.execute(update(WriteOffRequest).where(WriteOffRequest.id == request_id)
                 .values(**values, decided_at=func.current_timestamp()))  # fmt: skip


def undone(conn: Connection, request_id: int, reversal_entry_id: int) -> None:
    """Mark a posted request undone by the reversal of its entry."""
    conn.execute(update(WriteOffRequest).where(WriteOffRequest.id == request_id)
                 .values(status=WriteOffStatus.UNDONE.value, reversal_entry_id=reversal_entry_id))  # fmt: skip


def posted(conn: Connection, case_id: int) -> dict | None:
    """The case's posted (approved, not undone) write-off, or None."""
    w = WriteOffRequest.__table__.c
    query = select(WriteOffRequest.__table__).where(w.case_id == case_id, w.status == WriteOffStatus.APPROVED.value)
    row = conn.execute(query.order_by(w.id.desc())).mappings().first()
    return dict(row) if row else None


def case_requests(conn: Connection, case_id: int) -> list[dict]:
    """A case's write-off requests, oldest first."""
    query = select(WriteOffRequest.__table__).where(WriteOffRequest.case_id == case_id).order_by(WriteOffRequest.id)
    return [dict(r) for r in conn.execute(query).mappings()]


def pending(conn: Connection, limit: int = 200) -> list[dict]:
    """Requests waiting for a senior accountant, oldest first, with their case's code and channel."""
    w, c = WriteOffRequest.__table__.c, WorkCase.__table__.c
    query = (
        select(w, c.code, c.channel)
        .join_from(WriteOffRequest, WorkCase, w.case_id == c.id)
        .where(w.status == WriteOffStatus.PENDING.value)
        .order_by(w.id)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def post_write_off(
    conn: Connection, request_id: int, payment_id: int, amount: int, *, on: date, description: str
) -> int | None:
    """Post request ``request_id``'s write-off of ``amount`` of a payment's suspense money (Dr
    suspense, Cr write_off:rkc) through the ledger's one door, so the hash chain covers it; None if
    that request was already posted."""
    return post_entry(
        conn,
        kind=EntryKind.WRITE_OFF.value,
        source_key=f"write_off:{request_id}",
        value_date=on,
        postings=write_off_postings(amount),
        payment_id=payment_id,
        description=description,
    )
