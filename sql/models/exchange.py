"""Files exchanged with the outside: ГИС ЖКХ export items and cancellations, collected files, the
delivery outbox."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.gis_exchange import CancellationStatus
from domain.transport import CollectedStatus, Document, OutboxStatus
from sql.models.base import Base, IdType, _sql_list


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
    period: Mapped[str] = mapped_column(String(10))
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
        UniqueConstraint(
            "document", "period", "supplier_inn", "transport", "recipient", "generation", name="uq_outbox_delivery"
        ),
        CheckConstraint(f"status IN ({_sql_list(OutboxStatus)})", name="status_known"),
        CheckConstraint("transport IN ('email', 'sftp')", name="transport_known"),
        CheckConstraint(f"document IN ({_sql_list(Document)})", name="document_known"),
        Index("ix_outbox_status", "status"),
    )


class GisCancellation(Base):
    """A ГИС ЖКХ cancellation of a payment notification (``parsers.gis_cancellations``), once per
    OrderID and TransportGUID: applied (its payment reversed) or held until the payment is posted."""

    __tablename__ = "gis_cancellation"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))  # the ГИС ЖКХ channel whose inbox it came to
    order_id: Mapped[str] = mapped_column(String(32), index=True)
    transport_guid: Mapped[str] = mapped_column(String(36))
    cancelled_on: Mapped[date] = mapped_column(Date)
    comment: Mapped[str] = mapped_column(Text, default="")
    file: Mapped[str] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)  # the night that read it
    status: Mapped[str] = mapped_column(String(16), index=True)
    payment_id: Mapped[int | None] = mapped_column(BigInteger)
    applied_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (
        UniqueConstraint("order_id", "transport_guid", name="uq_gis_cancellation_item"),
        CheckConstraint(f"status IN ({_sql_list(CancellationStatus)})", name="status_known"),
    )
