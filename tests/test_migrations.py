"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sql.engine import migrate
from sql.ledger_queries import check_ledger
from sql.models import Base

pytestmark = pytest.mark.alembic  # these test the migrations: a fresh Alembic run per test, no template


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


def test_entries_posted_before_the_chain_are_sealed_by_its_migration(engine: sa.Engine, tmp_path) -> None:
    import yaml
    from alembic import command

    from rkc.config import default_config_text, parse_config
    from rkc.verify import verify
    from sql.engine import alembic_config

    migrate(engine)
    command.downgrade(alembic_config(engine), "0009")
    with engine.begin() as conn:
        for batch, entry, amount in (("b-one", 1, 500), ("b-one", 2, 700), ("b-two", 3, 900)):
            conn.execute(sa.text("INSERT INTO payment (id, register_id, channel, operation_id, occurrence, line_no,"
                                 " paid_date, amount, commission)"
                                 " VALUES (:e, 1, 'sber', :o, 1, :e, '2026-03-15', :a, 0)"),
                         {"e": entry, "o": f"op{entry}", "a": amount})  # fmt: skip
            conn.execute(sa.text("INSERT INTO ledger_entry (id, kind, source_key, payment_id, value_date, batch,"
                                 " description) VALUES (:e, 'payment', :k, :e, '2026-03-15', :b, '')"),
                         {"e": entry, "k": f"payment:sber:op{entry}:1", "b": batch})  # fmt: skip
            conn.execute(sa.text("INSERT INTO ledger_posting (entry_id, leg, account, amount) VALUES"
                                 " (:e, 1, 'agent:sber', :a), (:e, 2, 'suspense', -:a)"),
                         {"e": entry, "a": amount})  # fmt: skip
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ledger_entry WHERE hash IS NULL")).scalar() == 0
        assert conn.execute(sa.text("SELECT batch, entries FROM ledger_batch ORDER BY seq")).all() == [
            ("b-one", 2),
            ("b-two", 1),
        ]
    config = parse_config(yaml.safe_load(default_config_text()), tmp_path)
    result = verify(config, engine)
    assert result.ok and result.entries == 3 and result.batches == 2


def test_gis_export_table_comes_and_goes(engine: sa.Engine) -> None:
    from alembic import command

    from sql.engine import alembic_config

    migrate(engine)
    assert "gis_export_item" in sa.inspect(engine).get_table_names()
    command.downgrade(alembic_config(engine), "0010")
    assert "gis_export_item" not in sa.inspect(engine).get_table_names()
    migrate(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_documents_stored_before_versions_become_version_1_with_their_content_hash(
    engine: sa.Engine, tmp_path: Path
) -> None:
    """After revision 0014 a re-import of the export that stored them finds nothing changed; a
    downgrade keeps each ПД's current lines only."""
    from alembic import command

    from parsers.charges import read_charges
    from sql.charges import import_charges
    from sql.engine import alembic_config

    migrate(engine)
    command.downgrade(alembic_config(engine), "0009")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO supplier (inn, name, kpp, bank_account, bic, email)"
                " VALUES ('7707083893', 'A', '', '', '', '')"
            )
        )
        conn.execute(
            sa.text("INSERT INTO charges_import (file, sha256, rows, documents, rejected) VALUES ('f', 's', 2, 1, 0)")
        )
        conn.execute(
            sa.text(
                "INSERT INTO payment_document (uip, account, account_raw, period, total, payer, address, address_key,"
                " import_id) VALUES ('U1', '1001', '001001', '2026-03', 15000, 'П', 'Адрес', '', 1)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO service_line (uip, line_no, supplier_inn, service, amount) VALUES"
                " ('U1', 1, '7707083893', 'ЖКУ', 10000), ('U1', 2, '7707083893', 'Свет', 5000)"
            )
        )
    migrate(engine)
    export = tmp_path / "c.csv"
    export.write_text("uip;account;period;supplier_inn;service;amount;payer;address\n"
                      "U1;001001;2026-03;7707083893;Свет;50.00;П;Адрес\nU1;001001;2026-03;7707083893;ЖКУ;100;П;Адрес\n",
                      encoding="utf-8")  # fmt: skip
    with engine.begin() as conn:
        report = import_charges(conn, read_charges(export))
        stored = conn.execute(sa.text("SELECT uip, version, total FROM payment_document_version")).all()
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    assert (report.documents_new, report.documents_corrected, report.documents_unchanged) == (0, 0, 1)
    assert [tuple(r) for r in stored] == [("U1", 1, 15000)]
    export.write_text(export.read_text(encoding="utf-8").replace("50.00", "60.00"), encoding="utf-8")
    with engine.begin() as conn:
        assert import_charges(conn, read_charges(export)).documents_corrected == 1
    command.downgrade(alembic_config(engine), "0009")
    with engine.connect() as conn:
        lines = conn.execute(sa.text("SELECT service, amount FROM service_line ORDER BY line_no")).all()
    assert [tuple(r) for r in lines] == [("Свет", 6000), ("ЖКУ", 10000)]  # version 2's, in its order
    migrate(engine)


def test_payouts_revision_comes_and_goes_and_keeps_the_ledger_append_only(engine: sa.Engine) -> None:
    from alembic import command

    from sql.engine import alembic_config

    migrate(engine)
    command.downgrade(alembic_config(engine), "0014")
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
                             " VALUES ('bogus', 'k2', '2026-03-16', 'b', '')"))  # fmt: skip
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ledger_entry"))  # the rebuilt table's triggers are back


def test_refunds_revision_comes_and_goes_and_keeps_the_ledger_append_only(engine: sa.Engine) -> None:
    """Revision 0023: the refund table and the refund kinds; the downgrade and upgrade keep the ledger append-only."""
    from alembic import command

    from sql.engine import alembic_config

    migrate(engine)
    command.downgrade(alembic_config(engine), "0022")
    assert "refund" not in sa.inspect(engine).get_table_names()
    insert = ("INSERT INTO ledger_entry (kind, source_key, value_date, batch, description)"
              " VALUES ('{kind}', '{key}', '2026-03-16', 'b', '')")  # fmt: skip
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # the old check refuses the new kinds
        conn.execute(sa.text(insert.format(kind="refund", key="k0")))
    migrate(engine)
    assert "refund" in sa.inspect(engine).get_table_names()
    with engine.begin() as conn:  # the rebuilt check takes the new kinds and every old one
        for n, kind in enumerate(("refund", "refund_settled", "allocation", "write_off", "payment")):
            conn.execute(sa.text(insert.format(kind=kind, key=f"k{n + 1}")))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text(insert.format(kind="bogus", key="k9")))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ledger_entry"))  # the rebuilt table's triggers are back
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO refund (payment_id, amount, payer_name, account, bic, inn, reason, status,"
                             " requested_by) VALUES (1, 100, 'И', '1', '2', '', 'r', 'bogus', 'u')"))  # fmt: skip
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_payment_method_comes_and_goes_and_refuses_unknown_methods(engine: sa.Engine) -> None:
    """Revision 0025: ``payment.method`` with its check (NULL for payments stored before it); the
    downgrade drops the column and keeps the ledger append-only."""
    from alembic import command

    from sql.engine import alembic_config

    migrate(engine)
    insert = ("INSERT INTO payment (id, register_id, channel, operation_id, occurrence, line_no, paid_date, amount,"
              " commission, method) VALUES (:i, 1, 'sber', :o, 1, 1, '2026-03-15', 100, 0, :m)")  # fmt: skip
    with engine.begin() as conn:
        conn.execute(sa.text(insert), {"i": 1, "o": "op1", "m": "qr"})
        conn.execute(sa.text(insert), {"i": 2, "o": "op2", "m": None})
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text(insert), {"i": 3, "o": "op3", "m": "pigeon"})
    command.downgrade(alembic_config(engine), "0024")
    assert "method" not in {c["name"] for c in sa.inspect(engine).get_columns("payment")}
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM payment"))
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT id, method FROM payment ORDER BY id")).all() == [(1, None), (2, None)]
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_posting_partitions_come_and_go_and_keep_the_ledger_append_only(engine: sa.Engine) -> None:
    """Revision 0027: ``ledger_posting.value_date`` (partitioned by it on PostgreSQL) and the index on
    the entries' value dates; the downgrade moves the legs back into one table keyed (entry, leg),
    append-only. A populated ledger both ways: tests/test_ledger_partitions.py."""
    from alembic import command

    from sql.engine import alembic_config
    from sql.posting import post_payments
    from sql.uow import UnitOfWork
    from tests.dbutil import new_register, payment_frame, split_frame

    migrate(engine)
    with UnitOfWork(engine) as uow:  # rows: SQLite's triggers are row triggers
        post_payments(uow.conn, new_register(uow.conn), payment_frame([{"operation_id": "1", "amount": 100}]),
                      split_frame([]))  # fmt: skip
        uow.commit()
    command.downgrade(alembic_config(engine), "0026")
    assert "value_date" not in {c["name"] for c in sa.inspect(engine).get_columns("ledger_posting")}
    assert "ix_ledger_entry_value_date" not in {i["name"] for i in sa.inspect(engine).get_indexes("ledger_entry")}
    with engine.connect() as conn:
        assert sa.inspect(conn).get_pk_constraint("ledger_posting")["constrained_columns"] == ["entry_id", "leg"]
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ledger_posting"))
    migrate(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert sa.inspect(conn).get_pk_constraint("ledger_posting")["constrained_columns"] == [
            "entry_id", "leg", "value_date"
        ]
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ledger_posting"))


def test_migrate_reads_a_schema_at_head_and_upgrades_one_behind(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``migrate`` skips Alembic's upgrade on a database already at head (every flow calls it at its
    start), and still upgrades a database a revision behind, or one with no schema yet."""
    from alembic import command

    from sql.engine import alembic_config, head_revision, schema_revision

    command.downgrade(alembic_config(engine), "base")
    upgrades: list[str] = []
    real_upgrade = command.upgrade
    monkeypatch.setattr(command, "upgrade", lambda config, rev: (upgrades.append(rev), real_upgrade(config, rev)))
    migrate(engine)  # from nothing
    assert upgrades == ["head"] and schema_revision(engine) == head_revision()
    migrate(engine)  # at head: one read, no upgrade
    assert upgrades == ["head"]
    command.downgrade(alembic_config(engine), "-1")
    assert schema_revision(engine) != head_revision()
    migrate(engine)  # one behind: upgraded
    assert upgrades == ["head", "head"] and schema_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_service_lines_index_by_supplier_goes_and_comes_back(engine: sa.Engine) -> None:
    """Revision 0028 drops the index of service lines by supplier (only `ledger check` read by it);
    the downgrade builds it again, and the ledger check still finds a line of an unknown supplier."""
    from alembic import command

    from sql.engine import alembic_config

    def indexes() -> set[str]:
        return {i["name"] for i in sa.inspect(engine).get_indexes("service_line")}

    migrate(engine)
    assert "ix_service_line_supplier_inn" not in indexes()
    command.downgrade(alembic_config(engine), "0027")
    assert "ix_service_line_supplier_inn" in indexes()
    migrate(engine)
    assert "ix_service_line_supplier_inn" not in indexes()
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO service_line (uip, version, line_no, supplier_inn, service, amount)"
                             " VALUES ('U1', 1, 1, '7707083893', 'вода', 100)"))  # fmt: skip
    with engine.connect() as conn:
        found = {(v.kind, v.subject) for v in check_ledger(conn)}
    assert ("unknown_supplier", "supplier 7707083893") in found


def test_service_lines_keep_their_rows_and_guards_when_keyed_by_uip_version_line(engine: sa.Engine) -> None:
    from alembic import command

    from sql.engine import alembic_config

    migrate(engine)
    command.downgrade(alembic_config(engine), "0028")
    insert = ("INSERT INTO service_line (uip, version, line_no, supplier_inn, service, amount)"
              " VALUES ('U1', 1, 1, '7707083893', 'ЖКУ', 100), ('U1', 1, 2, '7830002293', 'Свет', 50)")  # fmt: skip
    with engine.begin() as conn:
        conn.execute(sa.text(insert))
    migrate(engine)
    assert "id" not in {c["name"] for c in sa.inspect(engine).get_columns("service_line")}
    assert sa.inspect(engine).get_pk_constraint("service_line")["constrained_columns"] == ["uip", "version", "line_no"]
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT uip, version, line_no, service, amount FROM service_line ORDER BY line_no"))
        assert [tuple(r) for r in rows] == [("U1", 1, 1, "ЖКУ", 100), ("U1", 1, 2, "Свет", 50)]
    for statement in ("UPDATE service_line SET amount = 1", "DELETE FROM service_line", insert):
        with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:  # append-only still; the key unique
            conn.execute(sa.text(statement))
