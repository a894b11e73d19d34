"""The ledger: entries, postings, batches of the hash chain, run manifests, balances, reversal requests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from sql.models.base import KINDS_SQL, Base, IdType


class LedgerEntry(Base):
    """One balanced transaction of the ledger; append-only. ``source_key`` makes posting idempotent.

    ``payment_id`` and ``reverses_id`` have no foreign-key trigger: a million-payment register
    would pay one trigger call per row. ``check_ledger`` finds entries that name an unknown payment
    or reverse an unknown entry instead.
    """

    __tablename__ = "ledger_entry"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str] = mapped_column(String(200), unique=True)
    payment_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    reverses_id: Mapped[int | None] = mapped_column(IdType)
    # The ПД version whose service lines split this entry's money (migration 0009); NULL when the
    # entry splits nothing by a ПД (suspense, transfers).
    document_version: Mapped[int | None] = mapped_column(Integer)
    # indexed (migration 0027): a month's entries are read by it (statements, ``ledger check``)
    value_date: Mapped[date] = mapped_column(Date, index=True)
    batch: Mapped[str] = mapped_column(String(36))
    description: Mapped[str] = mapped_column(Text, default="")
    # sha256 of the entry's content chained to the entry before it in its batch (``domain.chain``,
    # migration 0010); written with the entry, never after.
    hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    __table_args__ = (CheckConstraint(f"kind IN ({KINDS_SQL})", name="kind_known"),)


class LedgerPosting(Base):
    """One leg of an entry: signed kopecks on an account (debit positive, credit negative).

    Keyed by (entry, leg, value date) so one index serves both identity and the join from
    entries; ``value_date`` is the entry's, copied onto its legs (migration 0027) because
    PostgreSQL partitions the table by month of it (``sql.partitions``) and a partitioned table's
    key must hold the partition key: (entry, leg) stays unique as an entry has one date, which
    ``rkc ledger check`` confirms. No foreign-key trigger for the same reason as
    ``ledger_entry.payment_id`` (checked instead).
    """

    __tablename__ = "ledger_posting"
    entry_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    leg: Mapped[int] = mapped_column(Integer, primary_key=True)
    value_date: Mapped[date] = mapped_column(Date, primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    service: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_nonzero"),
        {"postgresql_partition_by": "RANGE (value_date)"},
    )


class LedgerBatch(Base):
    """One committed posting batch, linked to the batch committed before it: the chain of batches
    over the entries' own chains (``domain.chain.BatchLink``; docs/LEDGER.md). Append-only."""

    __tablename__ = "ledger_batch"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    batch: Mapped[str] = mapped_column(String(36), unique=True)
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(Integer)
    legs: Mapped[int] = mapped_column(Integer)
    first_entry: Mapped[int] = mapped_column(BigInteger)
    last_entry: Mapped[int] = mapped_column(BigInteger)
    head: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class RunManifest(Base):
    """A run's signed manifest (inputs and outputs with sha256, the bridge, the chain head), as
    written beside its outputs: ``body`` is the canonical JSON that ``signature`` (HMAC-SHA256)
    covers. Append-only."""

    __tablename__ = "run_manifest"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # domain.manifest.ManifestKind
    run_date: Mapped[date | None] = mapped_column(Date, index=True)
    path: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class LedgerBalance(Base):
    """Running balance per ledger account, maintained with each posting batch and checked."""

    __tablename__ = "ledger_balance"
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)


class ReversalRequest(Base):
    """A user's reversal of a register (an agent recalled it) or of one payment: once per subject."""

    __tablename__ = "reversal_request"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(16))  # register | payment
    subject_id: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    entries: Mapped[int] = mapped_column(Integer, default=0)  # reversal entries written
    value_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    __table_args__ = (
        UniqueConstraint("subject", "subject_id", name="uq_reversal_request_subject"),
        CheckConstraint("subject IN ('register', 'payment')", name="subject_known"),
    )
