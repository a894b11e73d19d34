"""What the workbench's supplier pages read: the directory with each supplier's balance
(``ledger_balance`` of ``supplier:<inn>``, credit-normal: what the center owes) and its payouts."""

from __future__ import annotations

from sqlalchemy import Connection, func, literal, select

from sql.models import LedgerBalance, Payout, Supplier

_BALANCE = (
    select(func.coalesce(-LedgerBalance.balance, 0))
    .where(LedgerBalance.account == literal("supplier:") + Supplier.inn)
    .scalar_subquery()
)


def supplier_page(conn: Connection, page: int, size: int) -> tuple[list[dict], int]:
    """One page of suppliers by ИНН (inn, name, contract_no, balance owed) and how many there are."""
    total = conn.execute(select(func.count()).select_from(Supplier)).scalar_one()
    query = (select(Supplier.inn, Supplier.name, Supplier.contract_no, _BALANCE.label("balance"))
             .order_by(Supplier.inn).limit(size).offset((page - 1) * size))  # fmt: skip
    return [dict(r) for r in conn.execute(query).mappings()], int(total)


def supplier(conn: Connection, inn: str) -> dict | None:
    """One supplier with its balance owed, or None."""
    query = select(Supplier.__table__, _BALANCE.label("balance")).where(Supplier.inn == inn)
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def recent_payouts(conn: Connection, inn: str, limit: int = 20) -> list[dict]:
    """A supplier's latest payment orders, newest first."""
    p = Payout.__table__.c
    query = (select(p.pay_date, p.number, p.amount, p.status, p.purpose).where(p.supplier_inn == inn)
             .order_by(p.pay_date.desc(), p.id.desc()).limit(limit))  # fmt: skip
    return [dict(r) for r in conn.execute(query).mappings()]
