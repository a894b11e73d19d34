"""Accountants' resolutions (``resolution``) and the ПД lookups a resolution's target needs."""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, insert, select

from sql.models import PaymentDocument, Resolution


def resolved_target(conn: Connection, payment_id: int) -> str | None:
    """The УИП a payment was resolved to, or None when it was not resolved."""
    return conn.execute(select(Resolution.target_uip).where(Resolution.payment_id == payment_id)).scalar()


def add_resolution(conn: Connection, *, payment_id: int, target_uip: str, resolved_by: str, source_file: str,
                   entry_id: int) -> None:  # fmt: skip
    """Record who resolved a payment to which ПД, from which file, by which ledger entry."""
    conn.execute(insert(Resolution).values(payment_id=payment_id, target_uip=target_uip, resolved_by=resolved_by,
                                           source_file=source_file, entry_id=entry_id))  # fmt: skip


def resolution_row(conn: Connection, payment_id: int) -> dict | None:
    """A payment's resolution as a dict, or None."""
    row = conn.execute(select(Resolution.__table__).where(Resolution.payment_id == payment_id)).mappings().first()
    return dict(row) if row else None


def drop_resolution(conn: Connection, payment_id: int) -> None:
    """Forget a payment's resolution once its entry is reversed (the workbench's undo, whose audit
    row keeps it): the payment is in suspense again and may be resolved anew."""
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
