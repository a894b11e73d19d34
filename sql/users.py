"""Storage of workbench users, their sessions, login attempts and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from sql.models import AppSession, AppUser, AuditLog, LoginAttempt


def get_user(conn: Connection, login: str) -> dict | None:
    """A user by login, or None."""
    row = conn.execute(select(AppUser.__table__).where(AppUser.login == login)).mappings().first()
    return dict(row) if row else None


def add_user(conn: Connection, login: str, role: str, password_hash: str) -> int:
    """Insert a user; return its id."""
    return int(conn.execute(insert(AppUser).values(login=login, role=role, password_hash=password_hash,
                                                   disabled=False).returning(AppUser.id)).scalar_one())  # fmt: skip


def set_user(conn: Connection, login: str, **values: object) -> None:
    """Change a user's role, hash or disabled flag."""
    conn.execute(update(AppUser).where(AppUser.login == login).values(**values))


def drop_sessions(conn: Connection, user_id: int) -> None:
    """End every session of a user (disabled, or a new password)."""
    conn.execute(delete(AppSession).where(AppSession.user_id == user_id))


def add_session(conn: Connection, token_hash: str, user_id: int, csrf: str, expires_at: datetime) -> None:
    """Store a new session."""
    conn.execute(insert(AppSession).values(token_hash=token_hash, user_id=user_id, csrf=csrf, expires_at=expires_at))


def session_user(conn: Connection, token_hash: str, now: datetime) -> dict | None:
    """The live session of ``token_hash`` with its user (login, role, csrf), or None when unknown,
    expired or the user is disabled."""
    s, u = AppSession.__table__.c, AppUser.__table__.c
    row = conn.execute(
        select(u.id, u.login, u.role, s.csrf).join_from(AppSession, AppUser, s.user_id == u.id)
        .where(s.token_hash == token_hash, s.expires_at > now, u.disabled.is_(False))
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def end_session(conn: Connection, token_hash: str) -> None:
    """Forget a session (logout)."""
    conn.execute(delete(AppSession).where(AppSession.token_hash == token_hash))


def record_attempt(conn: Connection, login: str, address: str, ok: bool, at: datetime) -> None:
    """Remember a login attempt."""
    conn.execute(insert(LoginAttempt).values(login=login[:64], address=address[:64], ok=ok, at=at))


def recent_failures(conn: Connection, login: str, address: str, since: datetime) -> int:
    """Failed attempts since ``since`` for this login or from this address."""
    c = LoginAttempt.__table__.c
    who = or_(c.login == login[:64], c.address == address[:64])
    query = select(func.count()).select_from(LoginAttempt).where(c.at >= since, c.ok.is_(False), who)
    return int(conn.execute(query).scalar_one())


def audit(conn: Connection, actor: str, action: str, subject: str, before: str | None, after: str | None) -> None:
    """Append to the audit log (append-only: never updated or deleted)."""
    conn.execute(insert(AuditLog).values(actor=actor, action=action, subject=subject, before=before, after=after))


def audit_rows(conn: Connection, subject: str | None = None, limit: int = 200) -> list[dict]:
    """The latest audit rows, newest first (of one subject when given)."""
    query = select(AuditLog.__table__).order_by(AuditLog.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(AuditLog.subject == subject)
    return [dict(r) for r in conn.execute(query).mappings()]
