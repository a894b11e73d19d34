"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sql.engine import migrate
from sql.models import Base


def test_migrated_schema_matches_the_models(engine: sa.Engine) -> None:
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_payment_has_no_raw_copy(engine: sa.Engine) -> None:
    migrate(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("payment")}
    assert "line_no" in columns and "raw" not in columns
