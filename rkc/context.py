"""Opening the configured database for a command: built at run time, migrated on open."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from rkc.config import Config, ConfigError
from sql.engine import make_engine, migrate


class DatabaseUnavailable(ConfigError):
    """The configured database URL cannot be used, or the database does not answer."""


def reachable_engine(config: Config) -> Engine:
    """An engine on the configured database, once the database answers. The check is a bare
    connection: no transaction, so no write lock on SQLite while another run posts."""
    try:
        engine = make_engine(config.database_url)
    except (ArgumentError, NoSuchModuleError) as exc:
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
    """An engine on the configured database, with the schema brought up to date."""
    engine = reachable_engine(config)
    migrate(engine)
    return engine
