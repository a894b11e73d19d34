"""The accountants' workbench: cases, their history, users, sessions, login attempts, the audit log,
write-off requests, registers accepted whose totals do not tie."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.acceptance import AcceptanceStatus
from domain.cases import CaseStatus
from domain.writeoff import WriteOffStatus
from sql.models.base import Base, IdType, _sql_list, bytewise


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
        CheckConstraint(f"status IN ({_sql_list(CaseStatus)})", name="status_known"),
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


class WriteOffRequest(Base):
    """A write-off of a suspense payment's money asked in the workbench (migration 0019): posted at
    once up to ``workbench.write_off_limit``, above it pending until a senior accountant other than
    the one who asked approves (``entry_id`` then set) or refuses it."""

    __tablename__ = "write_off_request"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("work_case.id"), index=True)
    payment_id: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)  # domain.writeoff.WriteOffStatus
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    decided_by: Mapped[str | None] = mapped_column(String(64))  # NULL when no approval was needed
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    entry_id: Mapped[int | None] = mapped_column(BigInteger)
    reversal_entry_id: Mapped[int | None] = mapped_column(BigInteger)  # the entry's reversal, when undone
    __table_args__ = (
        CheckConstraint(f"status IN ({_sql_list(WriteOffStatus)})", name="status_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class RegisterAcceptance(Base):
    """A quarantined register whose totals do not tie, accepted by a senior accountant (migration
    0026): the next night reads its file again and posts its lines (``posted_on``). The footer's
    figures and the lines' are kept here: the register's row drops the footer's once posted."""

    __tablename__ = "register_acceptance"
    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("register.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("work_case.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # domain.acceptance.AcceptanceStatus
    accepted_by: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    reason: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)  # the difference in words, as the night records it
    declared_count: Mapped[int | None] = mapped_column(Integer)
    declared_amount: Mapped[int | None] = mapped_column(BigInteger)
    declared_transfer: Mapped[int | None] = mapped_column(BigInteger)
    declared_commission: Mapped[int | None] = mapped_column(BigInteger)
    lines: Mapped[int] = mapped_column(Integer)
    amount_total: Mapped[int] = mapped_column(BigInteger)
    posted_on: Mapped[date | None] = mapped_column(Date)
    __table_args__ = (CheckConstraint(f"status IN ({_sql_list(AcceptanceStatus)})", name="status_known"),)
