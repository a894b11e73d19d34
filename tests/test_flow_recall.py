"""An agent recalls a register and sends it again corrected (SQLite and PostgreSQL): the recall
reverses every entry of it; the corrected file is a new register whose payments are posted anew,
not a DUPLICATE_FILE nor DUPLICATE_PAYMENTs. The same bytes sent again stay a DUPLICATE_FILE."""

from __future__ import annotations

import shutil
from datetime import timedelta

import sqlalchemy as sa

from rkc.app import import_charges_files
from rkc.config import init_home, load_config
from rkc.reverse import reverse_register
from sql.engine import make_engine
from sql.ledger_queries import balances, check_ledger
from synthetic import generate


def test_a_recalled_register_sent_again_corrected_is_posted_anew(harness, tmp_path, db_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from flows.nightly import nightly

    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config, _ = init_home(tmp_path / "home")
    day = generate(config.home, accounts=120, payments=400, seed=9)
    import_charges_files(load_config(config.home), day.charges_csv, day.suppliers_csv)
    nightly(home=str(config.home), run_date=day.run_date)
    engine = make_engine(config.database_url)
    with engine.connect() as conn:
        before = balances(conn)
        rid, name, stored, payments = conn.execute(sa.text(
            "SELECT r.id, r.file, r.stored_path, COUNT(p.id) FROM register r JOIN payment p ON p.register_id = r.id"
            " WHERE r.channel = 'sber' AND r.status = 'posted' GROUP BY r.id, r.file, r.stored_path ORDER BY r.id"
        )).first()  # fmt: skip

    done = reverse_register(engine, rid, "агент отозвал реестр: ошибка в суммах", day.run_date)
    assert done.entries >= payments
    with engine.connect() as conn:
        recalled = balances(conn)
    assert recalled != before

    corrected = config.inbox / "sber" / f"corrected-{name}"
    shutil.copy(stored, corrected)
    with corrected.open("ab") as f:
        f.write(b"\r\n")  # other bytes, the same payments: the agent's corrected export
    night = day.run_date + timedelta(days=1)
    result = nightly(home=str(config.home), run_date=night)

    assert len(result["posted_this_run"]) == 1 and corrected.name in str(result["posted_this_run"])
    codes = result["discrepancies"]
    assert "DUPLICATE_FILE" not in codes and "DUPLICATE_PAYMENT" not in codes, codes
    with engine.connect() as conn:
        again = balances(conn)
        assert check_ledger(conn) == []
        new = conn.execute(sa.text("SELECT COUNT(*) FROM payment p JOIN register r ON r.id = p.register_id"
                                   " WHERE r.file = :f"), {"f": corrected.name}).scalar()  # fmt: skip
    assert new == payments
    with engine.connect() as conn:  # the п/п that paid the recalled register pays its copy: tied, no mismatch
        ties = conn.execute(sa.text("SELECT file, tie_status, transfer_id FROM register WHERE id = :i"
                                    " OR file = :f ORDER BY id"), {"i": rid, "f": corrected.name}).all()  # fmt: skip
        owner = conn.execute(sa.text("SELECT register_id FROM bank_transfer WHERE id = :t"), {"t": ties[0][2]}).scalar()
    (_, _, paid_by), (_, copy_tie, copy_paid_by) = ties
    assert paid_by is not None and copy_paid_by == paid_by and copy_tie == "tied"
    assert owner != rid and "TRANSFER_MISMATCH" not in codes, codes
    suppliers = {k for k in before if k.startswith(("supplier:", "suspense"))}
    assert {k: again.get(k, 0) for k in suppliers} == {k: before[k] for k in suppliers}

    shutil.copy(stored, config.inbox / "sber" / name)  # the recalled bytes themselves, once more
    third = nightly(home=str(config.home), run_date=night)
    assert [s["status"] for s in third["skipped"]] == ["duplicate_file"]
    engine.dispose()
