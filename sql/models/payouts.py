"""Money going out: holds, payout batches and orders, the bank's debits, the center's fee, refunds."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.payouts import PayoutStatus
from domain.refunds import RefundStatus
from sql.models.base import Base, IdType, _sql_list


class PayoutHold(Base):
    """An accountant's hold on a supplier's payouts, with the reason; released, it stays as history."""

    __tablename__ = "payout_hold"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    supplier_inn: Mapped[str] = mapped_column(String(12), index=True)
    reason: Mapped[str] = mapped_column(Text)
    held_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    released_at: Mapped[datetime | None] = mapped_column(DateTime)
    release_reason: Mapped[str | None] = mapped_column(Text)


class PayoutBatch(Base):
    """The payouts of one date, prepared once: a second preparation writes the same documents again.
    ``through_entry_id``: the last ledger entry whose collections the fee has counted."""

    __tablename__ = "payout_batch"
    pay_date: Mapped[date] = mapped_column(Date, primary_key=True)
    prepared_at: Mapped[datetime] = mapped_column(DateTime)
    through_entry_id: Mapped[int] = mapped_column(BigInteger)
    payouts: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(BigInteger)
    skipped: Mapped[str] = mapped_column(Text, default="[]")  # JSON: the suppliers not paid and why


class Payout(Base):
    """A payment order to a supplier: its document as written, its ledger entries and its state."""

    __tablename__ = "payout"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    pay_date: Mapped[date] = mapped_column(Date, index=True)
    number: Mapped[str] = mapped_column(String(16))
    supplier_inn: Mapped[str] = mapped_column(String(12))
    amount: Mapped[int] = mapped_column(BigInteger)
    recipient_name: Mapped[str] = mapped_column(Text)
    recipient_kpp: Mapped[str] = mapped_column(String(9), default="")
    recipient_account: Mapped[str] = mapped_column(String(20))
    recipient_bic: Mapped[str] = mapped_column(String(9))
    contract_no: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[int] = mapped_column(BigInteger)  # the payout entry (Dr supplier, Cr in transit)
    settled_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    cancel_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    debit_id: Mapped[int | None] = mapped_column(BigInteger)  # the bank_debit that paid it
    __table_args__ = (
        UniqueConstraint("pay_date", "supplier_inn", name="uq_payout_day_supplier"),
        UniqueConstraint("pay_date", "number", name="uq_payout_day_number"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"status IN ({_sql_list(PayoutStatus)})", name="status_known"),
    )


class BankDebit(Base):
    """An outgoing document (ДатаСписано) of the center's bank statement: a payout or a stranger."""

    __tablename__ = "bank_debit"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statement.id"))
    number: Mapped[str] = mapped_column(String(32))
    date: Mapped[date] = mapped_column(Date)
    debited: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    recipient_name: Mapped[str] = mapped_column(Text, default="")
    recipient_inn: Mapped[str] = mapped_column(String(12), default="")
    recipient_account: Mapped[str] = mapped_column(String(20), default="")
    recipient_bic: Mapped[str] = mapped_column(String(9), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str | None] = mapped_column(String(32))  # settled | PAYOUT_MISMATCH | UNKNOWN_OUTGOING
    payout_id: Mapped[int | None] = mapped_column(BigInteger)
    __table_args__ = (UniqueConstraint("date", "number", "recipient_account", "amount", name="uq_bank_debit_identity"),)


class FeeBase(Base):
    """Money collected for a supplier per month and service, counted by payout preparations (the
    fee's base): the ledger's collections up to ``payout_batch.through_entry_id``."""

    __tablename__ = "fee_base"
    supplier_inn: Mapped[str] = mapped_column(String(12), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    service: Mapped[str] = mapped_column(Text, primary_key=True)  # "" for money without a service
    collected: Mapped[int] = mapped_column(BigInteger)


class FeeMonth(Base):
    """The fee accrued so far for a supplier's month (the sum of its fee entries)."""

    __tablename__ = "fee_month"
    supplier_inn: Mapped[str] = mapped_column(String(12), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    accrued: Mapped[int] = mapped_column(BigInteger)


class Refund(Base):
    """A refund of a posted payment's money to its payer (migration 0023): asked with the payer's
    details and a reason; above ``workbench.refund_limit`` it waits for a senior accountant other
    than the one who asked. Approved, its ``refund`` entry is posted; the next payouts file gives it
    a payment order (``order_number``, ``order_date``); the bank's debit settles it."""

    __tablename__ = "refund"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(BigInteger, index=True)
    case_id: Mapped[int | None] = mapped_column(BigInteger)  # the workbench case it was asked from
    amount: Mapped[int] = mapped_column(BigInteger)
    payer_name: Mapped[str] = mapped_column(Text)
    account: Mapped[str] = mapped_column(String(20))
    bic: Mapped[str] = mapped_column(String(9))
    inn: Mapped[str] = mapped_column(String(12), default="")
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)  # domain.refunds.RefundStatus
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    decided_by: Mapped[str | None] = mapped_column(String(64))  # NULL when no approval was needed
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)  # why refused, or why cancelled
    order_number: Mapped[str | None] = mapped_column(String(16))
    order_date: Mapped[date | None] = mapped_column(Date, index=True)
    purpose: Mapped[str | None] = mapped_column(Text)
    entry_id: Mapped[int | None] = mapped_column(BigInteger)  # the refund entry (Dr suspense/suppliers, Cr payable)
    settled_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    cancel_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    debit_id: Mapped[int | None] = mapped_column(BigInteger)  # the bank_debit that paid it
    __table_args__ = (
        UniqueConstraint("order_date", "order_number", name="uq_refund_order"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(f"status IN ({_sql_list(RefundStatus)})", name="status_known"),
    )
