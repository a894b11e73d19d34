"""Opening the configured database for a command: built at run time, migrated on open."""

from __future__ import annotations

from sqlalchemy import Engine

from rkc.config import Config
from sql.engine import make_engine, migrate


def open_database(config: Config) -> Engine:
    """An engine on the configured database, with the schema brought up to date."""
    engine = make_engine(config.database_url)
    migrate(engine)
    return engine
