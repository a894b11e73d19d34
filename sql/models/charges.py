"""Billing: suppliers, charges imports, ПД with their versions and service lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from sql.models.base import Base, IdType


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
    # Keyed by what identifies a line, no surrogate id (migration 0029). No foreign keys: a trigger
    # call per row on a million-line export (migration 0003). The charges import writes both
    # references in one transaction; `rkc ledger check` looks for orphans.
    uip: Mapped[str] = mapped_column(String(32), primary_key=True)  # a payment_document.uip
    version: Mapped[int] = mapped_column(Integer, primary_key=True, default=1, server_default="1")  # its version
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_inn: Mapped[str] = mapped_column(String(12))  # a supplier.inn; no index (migration 0028)
    service: Mapped[str] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_nonneg"),
    )
