"""Workbench users: adding and disabling them, logging in (argon2, throttled), sessions.

Only the sha256 of a session's token is stored: a copy of the database does not log anyone in.
Every change to a user, every login and logout is in the audit log.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine

from domain.roles import Role
from rkc.config_workbench import Workbench
from sql import users as store
from sql.uow import UnitOfWork

_LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MIN_PASSWORD = 10
_hasher = PasswordHasher()
# A hash to verify against when the login is unknown, so that unknown and known logins take as long.
_DUMMY = _hasher.hash("rkc-no-such-user")


class UserError(ValueError):
    """A user cannot be added or changed as asked (the message says why)."""


class LoginRefused(Exception):
    """A login refused; ``throttled`` when too many failures came first. The message is Russian."""

    def __init__(self, message: str, throttled: bool = False) -> None:
        super().__init__(message)
        self.throttled = throttled


@dataclass(frozen=True)
class SessionUser:
    """Who a request comes from."""

    id: int
    login: str
    role: Role
    csrf: str


def now() -> datetime:
    """The current UTC time, naive, as the database stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def token_hash(token: str) -> str:
    """What is stored of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(engine: Engine, login: str, role: str, password: str, actor: str = "cli") -> None:
    """Add a user with a role and password (hashed with argon2)."""
    if not _LOGIN.fullmatch(login):
        raise UserError(f"login must be 2-64 of a-z 0-9 . _ - starting with a letter or digit, got {login!r}")
    if role not in {r.value for r in Role}:
        raise UserError(f"role must be one of {', '.join(r.value for r in Role)}, got {role!r}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    with UnitOfWork(engine) as uow:
        if store.get_user(uow.conn, login) is not None:
            raise UserError(f"user {login!r} exists")
        store.add_user(uow.conn, login, role, _hasher.hash(password))
        store.audit(uow.conn, actor, "user_add", f"user:{login}", None, json.dumps({"role": role}))
        uow.commit()


def disable_user(engine: Engine, login: str, actor: str = "cli") -> None:
    """Disable a user and end their sessions."""
    with UnitOfWork(engine) as uow:
        user = store.get_user(uow.conn, login)
        if user is None:
            raise UserError(f"no user {login!r}")
        store.set_user(uow.conn, login, disabled=True)
        store.drop_sessions(uow.conn, user["id"])
        store.audit(uow.conn, actor, "user_disable", f"user:{login}", json.dumps({"disabled": user["disabled"]}),
                    json.dumps({"disabled": True}))  # fmt: skip
        uow.commit()


def log_in(engine: Engine, settings: Workbench, login: str, password: str, address: str) -> tuple[str, SessionUser]:
    """Check a login and password; return a new session token and its user, or raise ``LoginRefused``.
    After ``login_failures`` failures for the login or from the address in the window, refuse
    without checking the password."""
    at = now()
    with UnitOfWork(engine) as uow:
        since = at - timedelta(minutes=settings.login_window_minutes)
        if store.recent_failures(uow.conn, login, address, since) >= settings.login_failures:
            store.record_attempt(uow.conn, login, address, False, at)
            uow.commit()
            raise LoginRefused("Слишком много неудачных попыток входа. Попробуйте позже.", throttled=True)
        user = store.get_user(uow.conn, login)
        ok = _verify(user["password_hash"] if user else _DUMMY, password) and user is not None and not user["disabled"]
        store.record_attempt(uow.conn, login, address, ok, at)
        if not ok:
            uow.commit()
            raise LoginRefused("Неверное имя пользователя или пароль.")
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        store.add_session(
            uow.conn, token_hash(token), user["id"], csrf, at + timedelta(minutes=settings.session_minutes)
        )
        store.audit(uow.conn, login, "login", f"user:{login}", None, json.dumps({"address": address}))
        uow.commit()
    return token, SessionUser(user["id"], login, Role(user["role"]), csrf)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def session_of(engine: Engine, token: str) -> SessionUser | None:
    """The user of a live session token, or None."""
    with engine.connect() as conn:
        row = store.session_user(conn, token_hash(token), now())
    return SessionUser(row["id"], row["login"], Role(row["role"]), row["csrf"]) if row else None


def log_out(engine: Engine, token: str, login: str) -> None:
    """End a session."""
    with UnitOfWork(engine) as uow:
        store.end_session(uow.conn, token_hash(token))
        store.audit(uow.conn, login, "logout", f"user:{login}", None, None)
        uow.commit()


def acting_user(engine: Engine, login: str) -> SessionUser:
    """The user a command line action is done as (``--user LOGIN``): an enabled workbench user,
    with the role the workbench gives them; ``UserError`` otherwise."""
    with engine.connect() as conn:
        user = store.get_user(conn, login)
    if user is None or user["disabled"]:
        raise UserError(f"no enabled workbench user {login!r} (rkc users add)")
    return SessionUser(user["id"], login, Role(user["role"]), csrf="")
