"""The outbox (``outbox``): deliveries queued, claimed, sent or failed, one row each.

A delivery is keyed by (document, period, supplier, transport, recipient, generation): queuing the
same statement again finds its row and sends nothing new; a deliberate re-send adds the next
generation. A run claims a row (``pending`` → ``sending``) before it sends, so two runs never send
the same row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, and_, func, insert, or_, select, update

from domain.transport import Document, OutboxStatus, Transport
from sql.models import Outbox, Supplier

UNSENT = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


@dataclass(frozen=True)
class Wanted:
    """A delivery the documents call for: what, to whom, which files (name, path, sha256, size)."""

    document: Document
    period: str
    supplier_inn: str
    transport: Transport
    recipient: str
    files: list[dict]


def supplier_contacts(conn: Connection) -> dict[str, tuple[str, str]]:
    """Every supplier's ИНН → (name, e-mail address as the directory has it)."""
    rows = conn.execute(select(Supplier.inn, Supplier.name, Supplier.email))
    return {r.inn: (r.name or "", (r.email or "").strip()) for r in rows}


def enqueue(conn: Connection, wanted: list[Wanted], *, resend: bool = False) -> dict[str, int]:
    """Queue each wanted delivery once. A delivery already queued and unsent gets the files as they
    are now; one sent (or given up) is left alone unless ``resend``, which queues its next
    generation. Returns counts: ``queued``, ``refreshed``, ``already`` (sent or failed, kept)."""
    counts = {"queued": 0, "refreshed": 0, "already": 0}
    for w in wanted:
        key = and_(Outbox.document == w.document.value, Outbox.period == w.period,
                   Outbox.supplier_inn == w.supplier_inn, Outbox.transport == w.transport.value,
                   Outbox.recipient == w.recipient)  # fmt: skip
        last = conn.execute(select(Outbox.id, Outbox.status, Outbox.generation).where(key)
                            .order_by(Outbox.generation.desc()).limit(1)).first()  # fmt: skip
        files = json.dumps(w.files, ensure_ascii=False)
        if last is not None and last.status == OutboxStatus.PENDING.value:
            conn.execute(update(Outbox).where(Outbox.id == last.id).values(files=files))
            counts["refreshed"] += 1
        elif last is not None and (last.status == OutboxStatus.SENDING.value or not resend):
            counts["already"] += 1
        else:
            conn.execute(insert(Outbox).values(
                document=w.document.value, period=w.period, supplier_inn=w.supplier_inn, transport=w.transport.value,
                recipient=w.recipient, generation=(last.generation + 1) if last else 1, files=files,
                status=OutboxStatus.PENDING.value, attempts=0,
            ))  # fmt: skip
            counts["queued"] += 1
    return counts


def release_stale(conn: Connection, claimed_before: datetime) -> int:
    """Rows a run claimed and never finished (it was killed while sending): pending again, with the
    reason. Whether that run's letter went out is unknown, so the recipient may get it twice."""
    done = conn.execute(
        update(Outbox)
        .where(Outbox.status == OutboxStatus.SENDING.value, Outbox.claimed_at < claimed_before)
        .values(status=OutboxStatus.PENDING.value, last_error="the run sending it stopped before it finished")
    )
    return int(done.rowcount or 0)


def due(conn: Connection, now: datetime) -> list[dict]:
    """Pending deliveries whose time has come, oldest first."""
    rows = conn.execute(
        select(Outbox.__table__).where(Outbox.status == OutboxStatus.PENDING.value,
                                       or_(Outbox.next_attempt_at.is_(None), Outbox.next_attempt_at <= now))
        .order_by(Outbox.id)
    ).mappings()  # fmt: skip
    return [_as_dict(row) for row in rows]


def claim(conn: Connection, delivery_id: int, now: datetime) -> bool:
    """Take a pending delivery for this run; False when another run took it first."""
    done = conn.execute(
        update(Outbox)
        .where(Outbox.id == delivery_id, Outbox.status == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.SENDING.value, claimed_at=now)
    )
    return done.rowcount == 1


def mark_sent(conn: Connection, delivery_id: int, now: datetime, message_id: str | None) -> None:
    """The server accepted the delivery."""
    conn.execute(update(Outbox).where(Outbox.id == delivery_id).values(
        status=OutboxStatus.SENT.value, sent_at=now, attempts=Outbox.attempts + 1, last_error=None,
        next_attempt_at=None, message_id=message_id,
    ))  # fmt: skip


def mark_failed(conn: Connection, delivery_id: int, error: str, next_at: datetime | None) -> None:
    """A run's attempt failed: pending again until ``next_at``, or given up (``failed``) when None."""
    status = OutboxStatus.PENDING if next_at is not None else OutboxStatus.FAILED
    conn.execute(update(Outbox).where(Outbox.id == delivery_id).values(
        status=status.value, attempts=Outbox.attempts + 1, last_error=error[:2000], next_attempt_at=next_at,
    ))  # fmt: skip


def deliveries(conn: Connection, period: str | None = None) -> list[dict]:
    """Every delivery (of ``period``), with the supplier's name, by supplier and generation."""
    query = (select(Outbox.__table__, func.coalesce(Supplier.name, "").label("supplier_name"))
             .join(Supplier, Supplier.inn == Outbox.supplier_inn, isouter=True)
             .order_by(Outbox.period, Outbox.supplier_inn, Outbox.transport, Outbox.generation))  # fmt: skip
    if period is not None:
        query = query.where(Outbox.period == period)
    return [_as_dict(row) for row in conn.execute(query).mappings()]


def _as_dict(row: RowMapping) -> dict:
    """A row as a dict, its files decoded from JSON."""
    return {**row, "files": json.loads(row["files"])}
