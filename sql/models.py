"""The database schema as SQLAlchemy 2.0 declarative models.

Money columns are BIGINT kopecks. Identifiers are strings. The database enforces what it can:
unique keys for files, payments and ledger entries, checks on amounts and statuses; the code checks
the rest (entries balance) before commit.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domain.cases import CaseStatus
from domain.ledger import EntryKind
from domain.payouts import PayoutStatus
from domain.statuses import RegisterStatus
from domain.transport import CollectedStatus, OutboxStatus


def _sql_list(values: type[StrEnum]) -> str:
    """A vocabulary as the SQL list its column's check names: the database checks the domain's words."""
    return ", ".join(f"'{v.value}'" for v in values)


KINDS_SQL = _sql_list(EntryKind)

# SQLite only auto-increments "INTEGER PRIMARY KEY"; PostgreSQL gets BIGINT identities.
IdType = BigInteger().with_variant(Integer, "sqlite")


def bytewise(length: int) -> String:
    """A VARCHAR compared bytewise on PostgreSQL (identifiers and codes in heavily indexed tables:
    locale comparisons made their index writes several times slower); SQLite is bytewise anyway."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")  # type: ignore[return-value]


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)


class Supplier(Base):
    """A supplier (поставщик) from the suppliers directory, keyed by ИНН."""

    __tablename__ = "supplier"
    inn: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kpp: Mapped[str] = mapped_column(String(9), default="")
    bank_account: Mapped[str] = mapped_column(String(20), default="")
    bic: Mapped[str] = mapped_column(String(9), default="")
    email: Mapped[str] = mapped_column(Text, default="")
    # The contract (migration 0010): its number for the payment orders' purpose, and the center's
    # fee (domain/fee.py): percent as exact text, monthly min/max in kopecks, per-service percents.
    contract_no: Mapped[str] = mapped_column(Text, default="", server_default="")
    fee_percent: Mapped[str] = mapped_column(String(16), default="0", server_default="0")
    fee_min: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    fee_max: Mapped[int | None] = mapped_column(BigInteger)
    fee_services: Mapped[str] = mapped_column(Text, default="", server_default="")


class ChargesImport(Base):
    """One load of the billing export: which file, when, how many rows were taken or rejected."""

    __tablename__ = "charges_import"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    file: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    rows: Mapped[int] = mapped_column(Integer, default=0)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


class PaymentDocument(Base):
    """A ПД: one receipt for one account (ЛС) and one month, keyed by its УИП: its current version.

    One row per УИП, pointing at its current ``version`` and carrying that version's header, so
    the night reads current ПД as before. Every version itself is kept, never edited, in
    ``payment_document_version`` and ``service_line`` (migration 0014).
    """

    __tablename__ = "payment_document"
    uip: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    content_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")  # domain.chargeversions
    account: Mapped[str] = mapped_column(String(32))  # normalised ЛС; looked up by the (account, period) index
    account_raw: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    total: Mapped[int] = mapped_column(BigInteger)
    payer: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(Text, default="")
    # ``domain.nearmiss.normalize_address(address)``, written by the import: the night's near misses
    # look up the ПД at a payment's address through its index instead of normalising every ПД.
    address_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    els: Mapped[str | None] = mapped_column(String(13))  # ЕЛС or ИЖКУ, compact; matching passes 4-5
    import_id: Mapped[int] = mapped_column(ForeignKey("charges_import.id"))
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_nonneg"),
        Index("ix_payment_document_account_period", "account", "period"),
        Index("ix_payment_document_address_key", "address_key"),
    )


class PaymentDocumentVersion(Base):
    """One version of a ПД as an import stored it; append-only (``sql.append_only``).

    A ПД gets a new version only when its content (``domain.chargeversions``) changed. A ledger
    entry that split money by a ПД names the version it used (``ledger_entry.document_version``).
    """

    __tablename__ = "payment_document_version"
    uip: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign key (a trigger call per row, as for service lines): the import writes both.
    import_id: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    account: Mapped[str] = mapped_column(String(32))
    account_raw: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    total: Mapped[int] = mapped_column(BigInteger)
    payer: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(Text, default="")
    els: Mapped[str | None] = mapped_column(String(13))


class ServiceLine(Base):
    """One line of one version of a ПД: a service owed to one supplier; append-only."""

    __tablename__ = "service_line"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    # No foreign keys: a trigger call per row on a million-line export (migration 0003). The charges
    # import writes both references in one transaction; `rkc ledger check` looks for orphans.
    uip: Mapped[str] = mapped_column(String(32))  # a payment_document.uip
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # a payment_document_version
    line_no: Mapped[int] = mapped_column(Integer)
    supplier_inn: Mapped[str] = mapped_column(String(12), index=True)  # a supplier.inn
    service: Mapped[str] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (
        UniqueConstraint("uip", "version", "line_no", name="uq_service_line_uip_version_line"),
        CheckConstraint("amount >= 0", name="amount_nonneg"),
    )


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
    __table_args__ = (
        CheckConstraint(
            f"status IN ({_sql_list(RegisterStatus)})", name="status_known"
        ),
    )


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
    __table_args__ = (
        UniqueConstraint("channel", "operation_id", "occurrence", name="uq_payment_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("commission >= 0", name="commission_nonneg"),
    )


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
    value_date: Mapped[date] = mapped_column(Date)
    batch: Mapped[str] = mapped_column(String(36))
    description: Mapped[str] = mapped_column(Text, default="")
    # sha256 of the entry's content chained to the entry before it in its batch (``domain.chain``,
    # migration 0010); written with the entry, never after.
    hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    __table_args__ = (CheckConstraint(f"kind IN ({KINDS_SQL})", name="kind_known"),)


class LedgerPosting(Base):
    """One leg of an entry: signed kopecks on an account (debit positive, credit negative).

    Keyed by (entry, leg) so one index serves both identity and the join from entries; no
    foreign-key trigger for the same reason as ``ledger_entry.payment_id`` (checked instead).
    """

    __tablename__ = "ledger_posting"
    entry_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    leg: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)
    service: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (CheckConstraint("amount <> 0", name="amount_nonzero"),)


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
    """An accountant's resolution of a suspense payment: who, from which file, to what."""

    __tablename__ = "resolution"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), unique=True)
    target_uip: Mapped[str] = mapped_column(ForeignKey("payment_document.uip"))
    resolved_by: Mapped[str] = mapped_column(Text)
    source_file: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entry.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


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


class GisExportItem(Base):
    """One item the center places into ГИС ЖКХ (a payment notification, one квитирование line, or
    its cancellation), with its TransportGUID and where it stands (``domain.gis_exchange``).

    ``payload`` is what the item's XML says (JSON): a file of ``export_date`` is rewritten from it
    byte for byte. Unlike the ledger this row changes: its status follows ГИС ЖКХ's answers."""

    __tablename__ = "gis_export_item"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    transport_guid: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    payment_id: Mapped[int] = mapped_column(BigInteger, index=True)
    entry_id: Mapped[int | None] = mapped_column(BigInteger)  # the payment entry (ack) or its reversal (ack_cancel)
    sort_key: Mapped[str] = mapped_column(String(200))
    export_date: Mapped[date] = mapped_column(Date, index=True)
    file: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text)
    gis_guid: Mapped[str | None] = mapped_column(String(36))  # the GUID ГИС ЖКХ gave the object
    error: Mapped[str | None] = mapped_column(Text)
    answer_file: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (
        CheckConstraint("kind IN ('notification', 'ack', 'ack_cancel')", name="kind_known"),
        CheckConstraint("status IN ('pending', 'exported', 'accepted', 'rejected')", name="status_known"),
    )


class CollectedFile(Base):
    """A file fetched from a channel's source (``rkc collect``), remembered by the source's name for
    it and by its content, so that nothing is fetched twice. ``remote_key`` is what identifies the
    file at the source: name, size and modification time of an SFTP or folder entry; the message's
    Message-ID and the attachment's place and name of an IMAP attachment."""

    __tablename__ = "collected_file"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)  # where it came from, without secrets
    remote_key: Mapped[str] = mapped_column(Text)
    remote_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    local_name: Mapped[str | None] = mapped_column(Text)  # its name in inbox/<channel>/; None for a duplicate
    status: Mapped[str] = mapped_column(String(16))
    collected_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    __table_args__ = (
        UniqueConstraint("channel", "remote_key", name="uq_collected_file_remote"),
        CheckConstraint(f"status IN ({_sql_list(CollectedStatus)})", name="status_known"),
    )


class Outbox(Base):
    """One delivery of documents to one recipient: its files with their sha256 (JSON), where it
    stands, how often it was tried and the last error. ``generation`` counts deliberate re-sends:
    the same statement goes to the same recipient once per generation."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    document: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(7))
    supplier_inn: Mapped[str] = mapped_column(String(12))
    transport: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(Text)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    files: Mapped[str] = mapped_column(Text)  # JSON: [{"name", "path", "sha256", "size"}]
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    message_id: Mapped[str | None] = mapped_column(Text)  # the letter's Message-ID, for the mail server's log
    __table_args__ = (
        UniqueConstraint("document", "period", "supplier_inn", "transport", "recipient", "generation",
                         name="uq_outbox_delivery"),
        CheckConstraint(f"status IN ({_sql_list(OutboxStatus)})", name="status_known"),
        CheckConstraint("transport IN ('email', 'sftp')", name="transport_known"),
        CheckConstraint("document IN ('statement')", name="document_known"),
        Index("ix_outbox_status", "status"),
    )


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


class WorkCase(Base):
    """A discrepancy as the accountants' work item (migration 0016): one row per problem, keyed by
    ``case_key`` so the same problem seen on a later night is the same case, which ages. Not
    ``case``: a reserved word in SQL."""

    __tablename__ = "work_case"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    case_key: Mapped[str] = mapped_column(bytewise(200), unique=True)
    code: Mapped[str] = mapped_column(bytewise(32), index=True)
    status: Mapped[str] = mapped_column(bytewise(16), index=True)  # domain.cases.CaseStatus
    channel: Mapped[str | None] = mapped_column(bytewise(64), index=True)
    payment_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    register_id: Mapped[int | None] = mapped_column(BigInteger)
    discrepancy_id: Mapped[int] = mapped_column(BigInteger)  # the latest sighting
    operation_id: Mapped[str | None] = mapped_column(bytewise(64), index=True)
    account_raw: Mapped[str | None] = mapped_column(bytewise(64), index=True)
    uip: Mapped[str | None] = mapped_column(bytewise(32), index=True)
    payer: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[int | None] = mapped_column(BigInteger, index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    first_seen: Mapped[date] = mapped_column(Date, index=True)
    last_seen: Mapped[date] = mapped_column(Date)
    nights: Mapped[int] = mapped_column(Integer, default=1)
    owner: Mapped[str | None] = mapped_column(bytewise(64), index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    __table_args__ = (
        CheckConstraint(
            f"status IN ({_sql_list(CaseStatus)})", name="status_known"
        ),
        Index("ix_work_case_queue", "status", "first_seen", "id"),
    )


class CaseEvent(Base):
    """A case's history and comments: opened, seen again, taken, commented, resolved, accepted."""

    __tablename__ = "case_event"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("work_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # domain.cases.EventKind
    actor: Mapped[str] = mapped_column(String(64))  # a user's login, or "night" for the nightly run
    text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class AppUser(Base):
    """A workbench user: login, role, argon2 hash of the password; disabled users cannot log in."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # domain.roles.Role
    password_hash: Mapped[str] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    __table_args__ = (CheckConstraint("role IN ('accountant', 'senior', 'viewer')", name="role_known"),)


class AppSession(Base):
    """A logged-in session: only the sha256 of its cookie token is stored, with its CSRF token."""

    __tablename__ = "app_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class LoginAttempt(Base):
    """Every login attempt, for throttling (failures per login and per address in a window)."""

    __tablename__ = "login_attempt"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)


class AuditLog(Base):
    """Who did what, when, with the state before and after (JSON). Append-only."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))  # e.g. "case:17", "user:ivanova"
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
