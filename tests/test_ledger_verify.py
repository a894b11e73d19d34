"""``rkc ledger verify`` finds every edit someone with the database's own powers could make (the
append-only triggers set aside), names the entry or file, and passes an untouched ledger."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from domain.ledger import fee_postings, payout_postings
from domain.manifest import ManifestKind, canonical, signing_key
from rkc.config import default_config_text, parse_config
from rkc.manifest import load_signing_key, write_manifest
from rkc.verify import verify
from sql.entries import NewEntry, post_entries, post_transfer, reclassify, reverse_entry
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import behind_the_ledgers_back, new_register, payment_frame, split_frame

A, B, OTHER = "7707083893", "7830002293", "5001001001"
ON = date(2026, 3, 16)


def _ledger(engine: sa.Engine, home: Path):  # type: ignore[no-untyped-def]
    """Two registers, a п/п, a reclassification and a reversal; a report and its signed manifest."""
    config = parse_config(yaml.safe_load(default_config_text()), home)
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn)
        payments = payment_frame([
            {"operation_id": "1", "amount": 1500, "commission": 15, "matched_uip": "U1"},
            {"operation_id": "2", "amount": 2000},
            {"operation_id": "3", "amount": 700, "matched_uip": "U3"},
        ])  # fmt: skip
        splits = split_frame([(0, A, "ХВС", 900), (0, B, "Отопление", 600), (2, A, "ХВС", 700)])
        post_payments(uow.conn, rid, payments, splits)
        other = new_register(uow.conn, "p.xlsx", channel="portal")
        post_payments(uow.conn, other, payment_frame([{"channel": "portal", "operation_id": "9", "amount": 400}]),
                      split_frame([]))  # fmt: skip
        uow.commit()
    with engine.begin() as conn:
        post_transfer(conn, bank="bank:40702810900000000001", channel="sber", amount=4185, number="17", on=ON,
                      payer_account="40702810000000000002")  # fmt: skip
        suspended = conn.execute(sa.text("SELECT id FROM payment WHERE operation_id = '2'")).scalar_one()
        reclassify(conn, suspended, split_frame([(0, A, "ХВС", 2000)]), on=ON, description="resolved")
        third = conn.execute(sa.text("SELECT e.id FROM ledger_entry e JOIN payment p ON p.id = e.payment_id"
                                     " WHERE p.operation_id = '3'")).scalar_one()  # fmt: skip
        reverse_entry(conn, third, on=ON, reason="recalled")
    report = config.out / ON.isoformat() / "report.xlsx"
    report.parent.mkdir(parents=True)
    report.write_bytes(b"the night's report")
    key = load_signing_key(config)
    write_manifest(config, engine, key, kind=ManifestKind.NIGHT, run_date=ON, name=report.with_name("manifest.json"),
                   inputs=[], outputs=[report], bridge={"residual": "0.00"})  # fmt: skip
    return config, report


def _entry(conn: sa.Connection, operation_id: str) -> int:
    query = ("SELECT e.id FROM ledger_entry e JOIN payment p ON p.id = e.payment_id"
             " WHERE p.operation_id = :o AND e.kind = 'payment'")  # fmt: skip
    return conn.execute(sa.text(query), {"o": operation_id}).scalar_one()


def _balance(conn: sa.Connection, account: str, delta: int) -> None:
    conn.execute(
        sa.text("UPDATE ledger_balance SET balance = balance + :d WHERE account = :a"), {"d": delta, "a": account}
    )


def one_leg_changed(conn: sa.Connection, _: Path) -> str:
    entry = _entry(conn, "1")
    conn.execute(sa.text("UPDATE ledger_posting SET amount = amount - 1 WHERE entry_id = :e AND leg = 3"), {"e": entry})
    return f"entry {entry}"


def both_legs_and_balances(conn: sa.Connection, _: Path) -> str:
    entry = _entry(conn, "1")
    conn.execute(
        sa.text("UPDATE ledger_posting SET amount = amount + 100 WHERE entry_id = :e AND leg = 1"), {"e": entry}
    )
    conn.execute(
        sa.text("UPDATE ledger_posting SET amount = amount - 100 WHERE entry_id = :e AND leg = 3"), {"e": entry}
    )
    _balance(conn, "agent:sber", 100)
    _balance(conn, f"supplier:{A}", -100)
    return f"entry {entry}"


def supplier_leg_moved(conn: sa.Connection, _: Path) -> str:
    entry = _entry(conn, "1")
    conn.execute(sa.text("UPDATE ledger_posting SET account = :o WHERE entry_id = :e AND account = :a"),
                 {"o": f"supplier:{OTHER}", "e": entry, "a": f"supplier:{B}"})  # fmt: skip
    _balance(conn, f"supplier:{B}", 600)
    conn.execute(sa.text("INSERT INTO ledger_balance (account, balance) VALUES (:a, -600)"), {"a": f"supplier:{OTHER}"})
    return f"entry {entry}"


def entry_deleted(conn: sa.Connection, _: Path) -> str:
    entry = _entry(conn, "2")  # the middle one of its register's three
    for account, amount in conn.execute(sa.text("SELECT account, amount FROM ledger_posting WHERE entry_id = :e"),
                                        {"e": entry}).all():  # fmt: skip
        _balance(conn, account, -amount)
    conn.execute(sa.text("DELETE FROM ledger_posting WHERE entry_id = :e"), {"e": entry})
    conn.execute(sa.text("DELETE FROM ledger_entry WHERE id = :e"), {"e": entry})
    return f"entry {entry + 1}"  # the entry after it no longer follows the hash before it


def entry_duplicated_as_another_kind(conn: sa.Connection, _: Path) -> str:
    entry = _entry(conn, "1")
    forged = entry + 1000
    conn.execute(sa.text("INSERT INTO ledger_entry (id, kind, source_key, payment_id, value_date, batch, description,"
                         " hash) SELECT :f, 'reclass', 'reclass:x', payment_id, value_date, batch, description, hash"
                         " FROM ledger_entry WHERE id = :e"), {"f": forged, "e": entry})  # fmt: skip
    conn.execute(sa.text("INSERT INTO ledger_posting (entry_id, leg, account, amount, service, value_date) SELECT"
                         " :f, leg, account, amount, service, value_date FROM ledger_posting WHERE entry_id = :e"),
                 {"f": forged, "e": entry})  # fmt: skip
    return f"entry {forged}"


def payment_amount_changed(conn: sa.Connection, _: Path) -> str:
    conn.execute(sa.text("UPDATE payment SET amount = amount + 100 WHERE operation_id = '1'"))
    return f"entry {_entry(conn, '1')}"


def payment_deleted(conn: sa.Connection, _: Path) -> str:
    entry = _entry(conn, "1")
    conn.execute(sa.text("DELETE FROM payment WHERE operation_id = '1'"))
    return f"entry {entry}"


def report_edited(conn: sa.Connection, report: Path) -> str:
    report.write_bytes(b"the night's report, improved")
    return "out/2026-03-16/report.xlsx"


def manifest_resigned(conn: sa.Connection, _: Path) -> str:
    body = json.loads(conn.execute(sa.text("SELECT body FROM run_manifest")).scalar_one())
    body["bridge"]["residual"] = "-100.00"
    text = canonical(body)
    forged = hmac.new(b"another key, not the center's one", text.encode(), hashlib.sha256).hexdigest()
    conn.execute(sa.text("UPDATE run_manifest SET body = :b, signature = :s"), {"b": text, "s": forged})
    return "manifest out/2026-03-16/manifest.json"


TAMPERS = [one_leg_changed, both_legs_and_balances, supplier_leg_moved, entry_deleted,
           entry_duplicated_as_another_kind, payment_amount_changed, payment_deleted, report_edited,
           manifest_resigned]  # fmt: skip


def test_an_untouched_ledger_verifies(engine: sa.Engine, tmp_path: Path) -> None:
    config, _ = _ledger(engine, tmp_path)
    result = verify(config, engine)
    assert result.findings == [] and result.ok
    assert result.entries == 7 and result.batches == 5 and result.manifests == 1 and result.files == 1


@pytest.mark.parametrize("tamper", TAMPERS, ids=[t.__name__ for t in TAMPERS])
def test_each_edit_is_found_and_named(engine: sa.Engine, tmp_path: Path, tamper) -> None:  # type: ignore[no-untyped-def]
    config, report = _ledger(engine, tmp_path)
    with engine.begin() as conn, behind_the_ledgers_back(conn):
        subject = tamper(conn, report)
    result = verify(config, engine)
    assert not result.ok
    assert subject in {f.subject for f in result.findings}, [str(f) for f in result.findings]


def test_the_chain_tables_refuse_edits(engine: sa.Engine, tmp_path: Path) -> None:
    _ledger(engine, tmp_path)
    for edit in ("UPDATE ledger_batch SET entries = 0", "DELETE FROM ledger_batch",
                 "UPDATE run_manifest SET signature = ''", "UPDATE ledger_entry SET hash = NULL"):  # fmt: skip
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(edit))


def test_a_month_checks_only_its_manifests(engine: sa.Engine, tmp_path: Path) -> None:
    config, report = _ledger(engine, tmp_path)
    report.write_bytes(b"edited")
    assert verify(config, engine, date(2026, 4, 1), date(2026, 4, 30)).manifests == 0
    assert not verify(config, engine, date(2026, 3, 1), date(2026, 3, 31)).ok


def test_a_run_without_a_key_refuses_and_a_demo_warns(tmp_path: Path, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    from rkc.manifest import SigningKeyMissing

    monkeypatch.delenv("RKC_SIGNING_KEY")
    config = parse_config(yaml.safe_load(default_config_text()), tmp_path)
    with pytest.raises(SigningKeyMissing, match="RKC_SIGNING_KEY is not set"):
        load_signing_key(config)
    demo = parse_config({**yaml.safe_load(default_config_text()), "signing": "demo"}, tmp_path)
    assert load_signing_key(demo).demo
    assert "public demo key" in caplog.text
    monkeypatch.setenv("RKC_SIGNING_KEY", "short")
    with pytest.raises(SigningKeyMissing, match="at least 32"):
        load_signing_key(config)
    key_file = tmp_path / "key"
    key_file.write_text("f" * 64 + "\n")
    monkeypatch.delenv("RKC_SIGNING_KEY")
    monkeypatch.setenv("RKC_SIGNING_KEY_FILE", str(key_file))
    assert load_signing_key(config) == signing_key("f" * 64)


def test_a_manifest_under_a_retired_key_still_verifies(engine: sa.Engine, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os

    config, _ = _ledger(engine, tmp_path)
    old = os.environ["RKC_SIGNING_KEY"]
    monkeypatch.setenv("RKC_SIGNING_KEY", "n" * 40)
    assert [f.problem.value for f in verify(config, engine).findings] == ["manifest_signature"]
    monkeypatch.setenv("RKC_SIGNING_KEY_PREVIOUS", old)
    assert verify(config, engine).ok


def test_the_command_exits_0_then_1_naming_the_entry(tmp_path: Path, db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from rkc.cli import app
    from sql.engine import make_engine

    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    home = tmp_path / "home"
    assert CliRunner().invoke(app, ["init", "--home", str(home)]).exit_code == 0
    engine = make_engine(db_url)
    try:
        _ledger(engine, home)
        clean = CliRunner().invoke(app, ["ledger", "verify", "--home", str(home)])
        assert clean.exit_code == 0 and "Ledger verified: 7 entries" in clean.output, clean.output
        with engine.begin() as conn, behind_the_ledgers_back(conn):
            subject = one_leg_changed(conn, home)
    finally:
        engine.dispose()
    failed = CliRunner().invoke(app, ["ledger", "verify", "--home", str(home), "--month", "2026-03"])
    assert failed.exit_code == 1 and f"entry_changed: {subject}" in failed.output, failed.output
    assert CliRunner().invoke(app, ["ledger", "verify", "--home", str(home), "--month", "2026-13"]).exit_code == 2


def test_payments_scattered_over_the_ids_are_read_by_a_staged_join(engine: sa.Engine, tmp_path: Path) -> None:
    import numpy as np

    from sql.chain import _payments

    _ledger(engine, tmp_path)
    with engine.connect() as conn:
        ids = np.array(conn.execute(sa.text("SELECT id FROM payment ORDER BY id")).scalars().all())
        by_ranges = _payments(conn, ids)
        staged = _payments(conn, ids, gap=0, ranges=0)
    assert staged.num_rows == len(ids) == 4
    assert staged.to_pylist() == by_ranges.to_pylist()


def test_a_register_read_again_is_vouched_for_where_it_is_now(engine: sa.Engine, tmp_path: Path) -> None:
    """A register quarantined one night and read again on a later one (accepted in the workbench,
    or refused as unreadable and sent again) moves from quarantine to the archive: the later
    manifest vouches for where it is now, and its bytes are still checked there."""
    from datetime import timedelta

    config, _ = _ledger(engine, tmp_path)
    key = load_signing_key(config)
    content = b"=3;100,00;99,00;1,00;17;16-03-2026\r\n"
    sha = hashlib.sha256(content).hexdigest()
    archived = config.archive / "2026-03-17" / "sber" / "reestr.txt"
    archived.parent.mkdir(parents=True)
    archived.write_bytes(content)  # moved here from quarantine/2026-03-16/sber/ by the second night
    nights = ((ON, "quarantine/2026-03-16/sber/reestr.txt"),
              (ON + timedelta(days=1), "archive/2026-03-17/sber/reestr.txt"))  # fmt: skip
    for day, where in nights:
        report = config.out / day.isoformat() / "report.xlsx"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_bytes(b"report of " + day.isoformat().encode())
        write_manifest(config, engine, key, kind=ManifestKind.NIGHT, run_date=day,
                       name=report.with_name("manifest.json"), outputs=[report], bridge={"residual": "0.00"},
                       inputs=[{"role": "register", "file": "reestr.txt", "sha256": sha, "stored": where}])  # fmt: skip
    assert verify(config, engine).findings == []
    archived.write_bytes(content + b" ")
    assert [f.problem for f in verify(config, engine).findings] == ["file_changed"]
    archived.unlink()
    assert [f.problem for f in verify(config, engine).findings] == ["file_missing"]


def test_entries_written_as_one_batch_chain_and_verify(engine: sa.Engine, tmp_path: Path) -> None:
    """``post_entries`` (a day's fees or payment orders): one batch link, each entry chained in it;
    a key posted already gives None and is not written again; an edit of one of them is found."""
    config, _ = _ledger(engine, tmp_path)
    fees = [NewEntry("fee", f"fee:{inn}:2026-03:{ON}", ON, fee_postings(inn, 100 + i), "вознаграждение РКЦ за 03.2026")
            for i, inn in enumerate((A, B))]  # fmt: skip
    with engine.begin() as conn:
        ids = post_entries(conn, fees)
    with engine.begin() as conn:
        again = post_entries(conn, [fees[1], NewEntry("payout", f"payout:{ON}:{A}", ON, payout_postings(A, 50), "п/п")])
    assert None not in ids and ids[1] == ids[0] + 1 and again[0] is None and again[1] == ids[1] + 1
    result = verify(config, engine)
    assert result.findings == [] and result.entries == 10 and result.batches == 7
    with engine.connect() as conn:
        fee = conn.execute(sa.text("SELECT balance FROM ledger_balance WHERE account = 'fee:rkc'")).scalar_one()
    assert fee == -201  # the balances updated once for the batch
    with engine.begin() as conn, behind_the_ledgers_back(conn):
        conn.execute(sa.text("UPDATE ledger_entry SET description = 'x' WHERE id = :i"), {"i": ids[1]})
    assert not verify(config, engine).ok
