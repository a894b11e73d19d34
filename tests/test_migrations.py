"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
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


def test_service_lines_lose_their_triggers_and_get_them_back_on_downgrade(engine: sa.Engine) -> None:
    from alembic import command

    from sql.engine import alembic_config

    migrate(engine)
    assert sa.inspect(engine).get_foreign_keys("service_line") == []
    command.downgrade(alembic_config(engine), "0002")
    names = {fk["name"] for fk in sa.inspect(engine).get_foreign_keys("service_line")}
    assert names == {"fk_service_line_uip_payment_document", "fk_service_line_supplier_inn_supplier"}
    migrate(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_reversals_lose_their_trigger_and_get_it_back_on_downgrade(engine: sa.Engine) -> None:
    from alembic import command

    from sql.engine import alembic_config

    migrate(engine)
    assert sa.inspect(engine).get_foreign_keys("ledger_entry") == []
    command.downgrade(alembic_config(engine), "0003")
    names = {fk["name"] for fk in sa.inspect(engine).get_foreign_keys("ledger_entry")}
    assert names == {"fk_ledger_entry_reverses_id_ledger_entry"}
    migrate(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_documents_stored_before_get_their_address_key(engine: sa.Engine) -> None:
    from alembic import command

    from sql.engine import alembic_config

    migrate(engine)
    command.downgrade(alembic_config(engine), "0004")
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO charges_import (file, sha256, rows, documents, rejected) VALUES ('f', 's', 2, 2, 0)")
        )
        conn.execute(
            sa.text(
                "INSERT INTO payment_document (uip, account, account_raw, period, total, payer, address, import_id)"
                " VALUES ('U1', '1', '1', '2026-03', 1, '', 'г. Ипатово, ул. Лёнина, д.1, кв.2', 1),"
                " ('U2', '2', '2', '2026-03', 1, '', '', 1)"
            )
        )
    migrate(engine)
    with engine.connect() as conn:
        keys = dict(conn.execute(sa.text("SELECT uip, address_key FROM payment_document")).all())
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert keys == {"U1": "ИПАТОВО ЛЕНИНА 1 2", "U2": ""}


def test_meter_readings_table_comes_and_goes(engine: sa.Engine) -> None:
    from alembic import command

    from sql.engine import alembic_config

    migrate(engine)
    assert "meter_reading" in sa.inspect(engine).get_table_names()
    command.downgrade(alembic_config(engine), "0005")
    assert "meter_reading" not in sa.inspect(engine).get_table_names()
    migrate(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_payouts_revision_comes_and_goes_and_keeps_the_ledger_append_only(engine: sa.Engine) -> None:
    from alembic import command

    from sql.engine import alembic_config

    migrate(engine)
    command.downgrade(alembic_config(engine), "0008")
    assert "payout" not in sa.inspect(engine).get_table_names()
    migrate(engine)
    assert {"payout", "payout_batch", "bank_debit", "fee_base", "reversal_request"} <= set(
        sa.inspect(engine).get_table_names()
    )
    with engine.begin() as conn:  # the extended kind check takes the new kinds, refuses others
        conn.execute(sa.text("INSERT INTO ledger_entry (kind, source_key, value_date, batch, description)"
                             " VALUES ('payout_settled', 'k1', '2026-03-16', 'b', '')"))  # fmt: skip
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO ledger_entry (kind, source_key, value_date, batch, description)"
                             " VALUES ('refund', 'k2', '2026-03-16', 'b', '')"))  # fmt: skip
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ledger_entry"))  # the rebuilt table's triggers are back
