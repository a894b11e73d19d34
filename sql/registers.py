"""Registers: the files agents send, recorded once each by content hash."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, insert, select, update

from domain.records import DeclaredTotals
from sql.models import Register


def find_register(conn: Connection, sha256: str) -> int | None:
    """The id of a register already received with this content hash, if any."""
    return conn.execute(select(Register.id).where(Register.sha256 == sha256)).scalar()


def stored_files(conn: Connection, sha256s: set[str]) -> set[str]:
    """Which of these file hashes have a register row (posted, quarantined or refused)."""
    if not sha256s:
        return set()
    return set(conn.execute(select(Register.sha256).where(Register.sha256.in_(sorted(sha256s)))).scalars())


def create_register(
    conn: Connection,
    *,
    file: str,
    sha256: str,
    channel: str,
    fmt: str,
    run_date: date,
    status: str = "received",
    declared: DeclaredTotals | None = None,
    reason: str | None = None,
) -> int:
    """Record a register file; the unique sha256 makes a second copy of the same file fail."""
    declared = declared or DeclaredTotals()
    values = {
        "file": file,
        "sha256": sha256,
        "channel": channel,
        "format": fmt,
        "status": status,
        "run_date": run_date,
        "declared_count": declared.count,
        "declared_amount": declared.amount,
        "declared_transfer": declared.transfer,
        "declared_commission": declared.commission,
        "payment_order_number": declared.payment_order_number,
        "payment_order_date": declared.payment_order_date,
        "reason": reason,
    }
    return int(conn.execute(insert(Register).values(**values).returning(Register.id)).scalar_one())


def finish_register(conn: Connection, register_id: int, **values: object) -> None:
    """Set the outcome of a register: status, parsed line counts and totals, reason."""
    conn.execute(update(Register).where(Register.id == register_id).values(**values))
