"""The night's registers, bank statements and transfers, payments, discrepancies, resolutions, runs
and meter readings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
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

from domain.methods import PaymentMethod
from domain.statuses import RegisterStatus
from sql.models.base import Base, IdType, _sql_list


class Register(Base):
    """A payment register file from an agent, with its declared and parsed totals."""

    __tablename__ = "register"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    file: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    format: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    run_date: Mapped[date] = mapped_column(Date, index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    declared_count: Mapped[int | None] = mapped_column(Integer)
    declared_amount: Mapped[int | None] = mapped_column(BigInteger)
    declared_transfer: Mapped[int | None] = mapped_column(BigInteger)
    declared_commission: Mapped[int | None] = mapped_column(BigInteger)
    payment_order_number: Mapped[str | None] = mapped_column(String(32))
    payment_order_date: Mapped[date | None] = mapped_column(Date)
    lines: Mapped[int] = mapped_column(Integer, default=0)  # payments + rejected records
    # Record accounting (migration 0006): the file's records, counted without its format's rules, and
    # those of them that are declared non-payments; records = payments + non-payment lines + rejected.
    records: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    non_payment_lines: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    amount_total: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected_lines: Mapped[int] = mapped_column(Integer, default=0)
    rejected_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    posted_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    suspense_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicate_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    quarantined_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    commission_total: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    stored_path: Mapped[str | None] = mapped_column(Text)  # where the file went: archive or quarantine
    tie_status: Mapped[str | None] = mapped_column(String(32))  # tied | TRANSFER_MISMATCH | TRANSFER_MISSING
    tie_rule: Mapped[str | None] = mapped_column(String(32))
    transfer_id: Mapped[int | None] = mapped_column(ForeignKey("bank_transfer.id"))
    __table_args__ = (CheckConstraint(f"status IN ({_sql_list(RegisterStatus)})", name="status_known"),)


class BankStatementFile(Base):
    """A bank statement file (1CClientBankExchange) read once, by content hash."""

    __tablename__ = "bank_statement"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    file: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    account: Mapped[str] = mapped_column(String(20))
    date_from: Mapped[date | None] = mapped_column(Date)
    date_to: Mapped[date | None] = mapped_column(Date)
    opening: Mapped[int] = mapped_column(BigInteger)
    closing: Mapped[int] = mapped_column(BigInteger)
    run_date: Mapped[date] = mapped_column(Date)
    stored_path: Mapped[str | None] = mapped_column(Text)  # where the file was filed (migration 0024)


class BankTransfer(Base):
    """An incoming п/п from a bank statement; tied to at most one register."""

    __tablename__ = "bank_transfer"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statement.id"))
    number: Mapped[str] = mapped_column(String(32))
    date: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    payer_name: Mapped[str] = mapped_column(Text, default="")
    payer_inn: Mapped[str] = mapped_column(String(12), default="")
    payer_account: Mapped[str] = mapped_column(String(20), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str | None] = mapped_column(String(64))  # the agent's channel, when the payer is known
    register_id: Mapped[int | None] = mapped_column(BigInteger)  # set when tied
    entry_id: Mapped[int | None] = mapped_column(BigInteger)  # the ledger entry of the receipt
    line_no: Mapped[int | None] = mapped_column(Integer)  # its СекцияДокумент in the statement (0024)
    __table_args__ = (UniqueConstraint("date", "number", "payer_account", "amount", name="uq_bank_transfer_identity"),)


class Payment(Base):
    """A payment accepted from a register: one row per (channel, operation id, occurrence).

    Its source line is not copied here: the register file is archived with its sha256
    (``Register.stored_path``) and ``line_no`` points into it; discrepancies carry their raw line.
    """

    __tablename__ = "payment"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    register_id: Mapped[int] = mapped_column(BigInteger, index=True)  # no FK trigger: see LedgerEntry
    channel: Mapped[str] = mapped_column(String(64))
    operation_id: Mapped[str] = mapped_column(String(64))
    occurrence: Mapped[int] = mapped_column(Integer, default=1)
    line_no: Mapped[int] = mapped_column(Integer)  # the raw line: the archived register file, at this line
    paid_date: Mapped[date] = mapped_column(Date)
    paid_time: Mapped[str | None] = mapped_column(String(8))
    account_raw: Mapped[str | None] = mapped_column(String(64))
    account: Mapped[str | None] = mapped_column(String(32))
    uip: Mapped[str | None] = mapped_column(String(32))
    els: Mapped[str | None] = mapped_column(String(13))
    period: Mapped[str | None] = mapped_column(String(7))
    amount: Mapped[int] = mapped_column(BigInteger)
    commission: Mapped[int] = mapped_column(BigInteger, default=0)
    payer: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    matched_uip: Mapped[str | None] = mapped_column(String(32))  # None: suspense
    match_rule: Mapped[str | None] = mapped_column(String(32))
    # How the payer paid (domain.methods.PaymentMethod; migration 0025). NULL: stored before methods were.
    method: Mapped[str | None] = mapped_column(String(24))
    __table_args__ = (
        UniqueConstraint("channel", "operation_id", "occurrence", name="uq_payment_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("commission >= 0", name="commission_nonneg"),
        CheckConstraint(f"method IN ({_sql_list(PaymentMethod)})", name="method_known"),
    )


class Discrepancy(Base):
    """A discrepancy found in a run, carrying its own provenance: duplicates and rejected lines
    are never stored as payments, yet the accountants need file, line and raw text for each."""

    __tablename__ = "discrepancy"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    run_date: Mapped[date] = mapped_column(Date, index=True)
    code: Mapped[str] = mapped_column(String(32), index=True)
    register_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    payment_id: Mapped[int | None] = mapped_column(BigInteger)
    channel: Mapped[str | None] = mapped_column(String(64))
    file: Mapped[str | None] = mapped_column(Text)
    line_no: Mapped[int | None] = mapped_column(Integer)
    operation_id: Mapped[str | None] = mapped_column(String(64))
    paid_date: Mapped[date | None] = mapped_column(Date)
    account_raw: Mapped[str | None] = mapped_column(String(64))
    uip: Mapped[str | None] = mapped_column(String(32))
    payer: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[str | None] = mapped_column(Text)


class Resolution(Base):
    """An accountant's resolution of a suspense payment: who, from which file, to what. A payment
    split across several ПД has one row per part (migration 0026), each with its amount and its
    own ``reclass`` entry; ``amount`` is NULL on rows written before, which moved the whole payment."""

    __tablename__ = "resolution"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"))
    target_uip: Mapped[str] = mapped_column(ForeignKey("payment_document.uip"))
    resolved_by: Mapped[str] = mapped_column(Text)
    source_file: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    amount: Mapped[int | None] = mapped_column(BigInteger)  # kopecks of this part
    __table_args__ = (
        UniqueConstraint("payment_id", "target_uip", name="uq_resolution_payment_target"),  # one part per ПД
        CheckConstraint("amount IS NULL OR amount > 0", name="amount_positive"),
    )


class Run(Base):
    """One nightly run: its date, status and summary (the bridge)."""

    __tablename__ = "run"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    run_date: Mapped[date] = mapped_column(Date, index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    summary: Mapped[str | None] = mapped_column(Text)
    replay: Mapped[bool] = mapped_column(Boolean, default=False)


class MeterReading(Base):
    """A meter reading the payer gave with a payment (``CounterVal_N:`` and the like), kept as data:
    the meter and its value as the register wrote them. No foreign-key trigger on ``payment_id``
    (see ``Payment.register_id``): readings are written by COPY with the payments they belong to."""

    __tablename__ = "meter_reading"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(BigInteger, index=True)
    account: Mapped[str | None] = mapped_column(String(32))
    meter: Mapped[str] = mapped_column(Text)
    value: Mapped[str] = mapped_column(Text)
