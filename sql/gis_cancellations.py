"""Storage of ГИС ЖКХ cancellations (``gis_cancellation``) and the payments they name."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, bindparam, insert, select, text, update

from domain.gis_exchange import CancellationStatus
from sql.models import GisCancellation


def add_new(conn: Connection, rows: Sequence[dict]) -> int:
    """Store the cancellations not stored before (by OrderID and TransportGUID), as held; return
    how many were new. A file holds at most 500 (the request's maxOccurs): looked up one by one."""
    table = GisCancellation.__table__
    new = [
        r for r in rows
        if conn.execute(select(table.c.id).where(table.c.order_id == r["order_id"],
                                                 table.c.transport_guid == r["transport_guid"])).first() is None
    ]  # fmt: skip
    if new:
        conn.execute(insert(table), [{**r, "status": CancellationStatus.HELD.value, "note": ""} for r in new])
    return len(new)


def held(conn: Connection) -> list[dict]:
    """Every cancellation not applied yet, oldest first."""
    table = GisCancellation.__table__
    query = select(table).where(table.c.status == CancellationStatus.HELD.value).order_by(table.c.id)
    return [dict(r._mapping) for r in conn.execute(query)]


def payments_of_order(conn: Connection, channels: Sequence[str], order_id: str) -> list[int]:
    """The posted payments of ``order_id`` in the ГИС ЖКХ ``channels`` (every occurrence)."""
    if not channels:
        return []
    query = text("SELECT id FROM payment WHERE operation_id = :o AND channel IN :c ORDER BY id").bindparams(
        bindparam("c", expanding=True)
    )
    return [int(r[0]) for r in conn.execute(query, {"o": order_id, "c": list(channels)})]


def set_applied(conn: Connection, cancellation_id: int, payment_id: int, on: date, note: str) -> None:
    """Record that a cancellation was applied to ``payment_id`` on the night ``on``."""
    conn.execute(
        update(GisCancellation)
        .where(GisCancellation.id == cancellation_id)
        .values(status=CancellationStatus.APPLIED.value, payment_id=payment_id, applied_on=on, note=note)
    )
