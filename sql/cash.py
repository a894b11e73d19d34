"""The figures of the cash bridge (``domain.cashbridge``): the center's stored statements, their
documents, and the ledger's balance of the account."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, text

from domain.cashbridge import BankFigures
from domain.ledger import bank_account
from domain.payouts import DebitOutcome

# One statement at each end of the account's history: the earliest by its first day, the latest
# by its last (ids break ties: of two statements of one day, the one read last).
_ENDS = """
SELECT (SELECT date_from FROM bank_statement WHERE account = :a ORDER BY date_from, id LIMIT 1),
       (SELECT opening FROM bank_statement WHERE account = :a ORDER BY date_from, id LIMIT 1),
       (SELECT date_to FROM bank_statement WHERE account = :a ORDER BY date_to DESC, id DESC LIMIT 1),
       (SELECT closing FROM bank_statement WHERE account = :a ORDER BY date_to DESC, id DESC LIMIT 1)
"""
_RECEIVED = """
SELECT COUNT(*), COALESCE(SUM(t.amount), 0),
       SUM(CASE WHEN t.entry_id IS NULL THEN 1 ELSE 0 END),
       COALESCE(SUM(CASE WHEN t.entry_id IS NULL THEN t.amount ELSE 0 END), 0)
FROM bank_transfer t JOIN bank_statement s ON s.id = t.statement_id WHERE s.account = :a
"""
_PAID_OUT = """
SELECT COUNT(*), COALESCE(SUM(d.amount), 0),
       SUM(CASE WHEN d.outcome IS NULL OR d.outcome <> :settled THEN 1 ELSE 0 END),
       COALESCE(SUM(CASE WHEN d.outcome IS NULL OR d.outcome <> :settled THEN d.amount ELSE 0 END), 0)
FROM bank_debit d JOIN bank_statement s ON s.id = d.statement_id WHERE s.account = :a
"""


def bank_figures(conn: Connection, account: str) -> BankFigures | None:
    """The account's figures, or None when no statement of it is stored."""
    first_date, opening, last_date, closing = conn.execute(text(_ENDS), {"a": account}).one()
    if opening is None:
        return None
    received = conn.execute(text(_RECEIVED), {"a": account}).one()
    paid = conn.execute(text(_PAID_OUT), {"a": account, "settled": DebitOutcome.SETTLED.value}).one()
    balance = conn.execute(
        text("SELECT balance FROM ledger_balance WHERE account = :b"), {"b": bank_account(account)}
    ).scalar_one_or_none()
    return BankFigures(
        account=account, first_date=_day(first_date), opening=int(opening), last_date=_day(last_date),
        closing=int(closing), received=int(received[1]), received_count=int(received[0]),
        paid_out=int(paid[1]), paid_out_count=int(paid[0]), unposted_received=int(received[3]),
        unposted_received_count=int(received[2] or 0), unposted_paid_out=int(paid[3]),
        unposted_paid_out_count=int(paid[2] or 0), ledger_balance=int(balance or 0),
    )  # fmt: skip


def _day(value: object) -> date | None:
    """A DATE column's value (SQLite hands back text)."""
    if value is None or isinstance(value, date):
        return value  # type: ignore[return-value]
    return date.fromisoformat(str(value)[:10])
