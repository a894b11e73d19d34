"""Alembic environment: the engine comes from the caller (``sql.engine.migrate``) or a URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Engine

from sql.engine import make_engine
from sql.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on the engine handed over in the config, or on $RKC_DATABASE_URL."""
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        url = os.environ.get("RKC_DATABASE_URL")
        if not url:
            raise RuntimeError("no engine given and RKC_DATABASE_URL is not set")
        engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
