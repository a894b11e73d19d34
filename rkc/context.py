"""Opening the configured database for a command: built at run time; migrated on open by commands
that write, checked (never created) by commands that only read."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from rkc.config import Config, ConfigError
from sql.engine import display_url, head_revision, make_engine, migrate, schema_revision


class DatabaseUnavailable(ConfigError):
    """The configured database URL cannot be used, or the database does not answer."""


def reachable_engine(config: Config) -> Engine:
    """An engine on the configured database, once the database answers. The check is a bare
    connection: no transaction, so no write lock on SQLite while another run posts."""
    try:
        engine = make_engine(config.database_url)
    except (ArgumentError, NoSuchModuleError, ModuleNotFoundError) as exc:  # a driver not installed
        raise DatabaseUnavailable(
            f"the database URL (database_url in rkc.yaml or RKC_DATABASE_URL) is not usable: {exc}"
        ) from exc
    # A bare DBAPI connection: its driver's own error class, not SQLAlchemy's wrapper.
    refused = (OperationalError, engine.dialect.loaded_dbapi.OperationalError)
    try:
        engine.raw_connection().close()
    except refused as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseUnavailable(f"the database does not answer: {reason}") from exc
    return engine


def open_database(config: Config) -> Engine:
    """An engine on the configured database, with the schema brought up to date (for commands that
    write: init, imports, collection, delivery)."""
    engine = reachable_engine(config)
    migrate(engine)
    return engine


def open_existing(config: Config) -> Engine:
    """An engine on the configured database for a command that only reads: the rkc schema must be
    there and current. Nothing is created, so a read pointed at the wrong database (an admin one)
    leaves it as it was and says so in one line."""
    engine = reachable_engine(config)
    try:
        found, head = schema_revision(engine), head_revision()
    except BaseException:
        engine.dispose()
        raise
    where = display_url(config.database_url)
    if found is None:
        engine.dispose()
        raise DatabaseUnavailable(f"no rkc schema in {where}: run rkc init or rkc db upgrade")
    if found != head:
        engine.dispose()
        raise DatabaseUnavailable(f"the rkc schema in {where} is at revision {found}, this rkc needs {head}: "
                                  "run rkc db upgrade")  # fmt: skip
    return engine


def failed_on_io(error: object) -> bool:
    """Whether ``error`` is a failure of I/O (a file, the database connection), not of the data."""
    return isinstance(error, OSError | OperationalError)
