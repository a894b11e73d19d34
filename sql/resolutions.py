"""Accountants' resolutions (``resolution``: one row per ПД a payment was moved to, several for a
payment split across ПД) and the ПД lookups a resolution's target needs."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, insert, select

from sql.models import PaymentDocument, Resolution


def resolved_target(conn: Connection, payment_id: int) -> str | None:
    """The УИП a payment was resolved to (its first part's, when split), or None when it was not resolved."""
    query = select(Resolution.target_uip).where(Resolution.payment_id == payment_id).order_by(Resolution.id)
    return conn.execute(query).scalars().first()


def add_resolution(conn: Connection, *, payment_id: int, target_uip: str, resolved_by: str, source_file: str,
                   entry_id: int, amount: int | None = None) -> None:  # fmt: skip
    """Record who resolved a payment (or ``amount`` kopecks of it, one part) to which ПД, from
    which file, by which ledger entry."""
    conn.execute(insert(Resolution).values(payment_id=payment_id, target_uip=target_uip, resolved_by=resolved_by,
                                           source_file=source_file, entry_id=entry_id, amount=amount))  # fmt: skip


def resolution_row(conn: Connection, payment_id: int) -> dict | None:
    """A payment's resolution as a dict (its first part, when split), or None."""
    rows = resolution_rows(conn, payment_id)
    return rows[0] if rows else None


def resolution_rows(conn: Connection, payment_id: int) -> list[dict]:
    """A payment's resolution rows, one per part, in the order they were written."""
    query = select(Resolution.__table__).where(Resolution.payment_id == payment_id).order_by(Resolution.id)
    return [dict(r) for r in conn.execute(query).mappings()]


def drop_resolution(conn: Connection, payment_id: int) -> None:
    """Forget a payment's resolution (every part) once its entries are reversed (the workbench's
    undo, whose audit row keeps it): the payment is in suspense again and may be resolved anew."""
    conn.execute(delete(Resolution).where(Resolution.payment_id == payment_id))


def document_exists(conn: Connection, uip: str) -> bool:
    """Whether a ПД with this УИП is stored."""
    return conn.execute(select(PaymentDocument.uip).where(PaymentDocument.uip == uip)).first() is not None


def latest_documents(conn: Connection, account: str) -> list[str]:
    """The УИП of the normalised account's ПД of its latest period (none: the account has no ПД).

    The database's twin of matching pass 3, ``account_latest`` (``domain.matching``, docs/RULES.md):
    one ПД is a match, several are ambiguous. Change the two together."""
    d = PaymentDocument.__table__.c
    latest = select(func.max(d.period)).where(d.account == account).scalar_subquery()
    return list(conn.execute(select(d.uip).where(d.account == account, d.period == latest)).scalars())
