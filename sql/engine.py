"""Engines and migrations, built at run time from a URL (never at import)."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

if TYPE_CHECKING:  # Alembic is imported where migrations run: ``is_postgres`` callers need none of it
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
SUPPORTED_BACKENDS = ("sqlite", "postgresql")  # the dialects the migrations and the bulk paths know


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the settings this project relies on.

    SQLite gets foreign keys on, WAL journaling and a busy timeout so that a second process
    waits for the writer instead of failing. PostgreSQL URLs are steered to psycopg 3.
    """
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    backend = make_url(url).get_backend_name()  # ArgumentError when it is no URL at all
    if backend not in SUPPORTED_BACKENDS:  # before SQLAlchemy imports a driver that may be missing
        raise ArgumentError(f"unsupported database {backend!r} in {display_url(url)}: rkc runs on SQLite "
                            "(sqlite:///path/rkc.db) or PostgreSQL (postgresql://user@host/db)")  # fmt: skip
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
        # Let SQLAlchemy issue BEGIN itself so a transaction really starts where we say it does.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    return create_engine(url, pool_pre_ping=True, insertmanyvalues_page_size=5000)


def display_url(url: str) -> str:
    """``url`` as it may be printed: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN IMMEDIATE
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration pointing at this package's migrations and ``engine``."""
    config = alembic_config_plain()
    config.attributes["engine"] = engine
    return config


_MIGRATING = threading.Lock()  # Alembic's ``context`` is a module-level proxy: one upgrade at a time


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` (the newest by default).

    One call at a time per process: two flows started in threads of one process (two nights at
    once) otherwise both install and remove Alembic's global ``context`` and one fails. A database
    already at the newest revision is left alone after one read of its revision: every flow and
    writing command calls this at its start, and Alembic's upgrade costs ~0.05 s of CPU even when
    it has nothing to do (docs/PERFORMANCE.md, session 15). The read is under the lock too, so a
    thread that waited for another's upgrade sees its result and does not upgrade again."""
    from alembic import command

    with _MIGRATING:
        if revision == "head" and schema_revision(engine) == head_revision():
            return
        command.upgrade(alembic_config(engine), revision)


def schema_revision(engine: Engine) -> str | None:
    """The schema's Alembic revision, or None when the database has no rkc schema; creates nothing."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@cache  # the scripts do not change under a running process; reading them costs milliseconds a call
def head_revision() -> str:
    """The newest revision of this checkout's migrations."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config_plain()).get_current_head() or ""


def alembic_config_plain() -> Config:
    """An Alembic configuration of the migrations alone (no engine), to read the scripts."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def is_postgres(bind: Engine | Connection) -> bool:
    """Whether ``bind`` (an engine or a connection) talks to PostgreSQL: COPY, advisory locks and
    parallel writers are used there; SQLite takes the portable path."""
    return bind.dialect.name == "postgresql"
