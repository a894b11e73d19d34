"""A corrected billing export imported while the night is between its decisions and its postings
(in a thread, while the registers are posted) changes nothing of what the night posts: every
payment entry's supplier legs are the split of the ПД version it records, and the corrections are
stored as new versions beside the old ones. On PostgreSQL (required) and SQLite."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from domain.ledger import supplier_account
from domain.splitting import split_payments
from flows import nightly as tasks
from parsers.charges import read_charges, read_suppliers
from rkc.app import import_charges_files
from rkc.config import init_home
from rkc.intake import PARSED, Intake, collect_inbox
from rkc.memory import libraries_out_of_the_collector
from rkc.night_plan import NightPlan, read_plan_payments
from sql.corrections import held_payments, version_lines
from sql.engine import make_engine
from sql.ledger_queries import check_ledger
from synthetic import generate


def _corrected_export(day, path: Path) -> set[str]:  # type: ignore[no-untyped-def]
    """Every second ПД of the day's export with its first line moved to another supplier and every
    amount raised by 10 % and a kopeck; returns their УИП."""
    lines = read_charges(day.charges_csv).lines
    inns = sorted(s.inn for s in read_suppliers(day.suppliers_csv)[0])
    uips = lines["uip"].astype(str).drop_duplicates().tolist()[::2]
    chosen = lines["uip"].astype(str).isin(uips)
    first = chosen & ~lines["uip"].duplicated()
    moved = lines.loc[first, "supplier_inn"].map(lambda inn: inns[(inns.index(inn) + 1) % len(inns)])
    lines.loc[first, "supplier_inn"] = moved
    lines.loc[chosen, "amount"] = lines.loc[chosen, "amount"] * 11 // 10 + 1
    amount = (lines["amount"] // 100).astype(str) + "." + (lines["amount"] % 100).astype(str).str.zfill(2)
    rows = lines.assign(amount=amount)[["uip", "account_raw", "period", "supplier_inn", "service", "amount",
                                         "payer", "address"]]  # fmt: skip
    rows = rows.rename(columns={"account_raw": "account"})
    path.write_text("uip;account;period;supplier_inn;service;amount;payer;address\n"
                    + "\n".join(";".join(map(str, r)) for r in rows.itertuples(index=False)) + "\n",
                    encoding="utf-8")  # fmt: skip
    return set(uips)


def _expected_legs(engine: sa.Engine, posted: pd.DataFrame, service_codes: dict) -> pd.DataFrame:
    """The split (``domain.splitting``) of each posted payment over the lines of the ПД version its
    entry records, as supplier legs (``entry_id``, ``account``, ``service``, ``amount``: credit < 0)."""
    frames = []
    for version, group in posted.groupby("document_version"):
        with engine.connect() as conn:
            lines = version_lines(conn, group[["uip"]].assign(version=int(version)))
        parts = split_payments(group[["payment_id", "uip", "amount", "services", "channel"]], lines,
                               service_codes=service_codes).parts  # fmt: skip
        entry_of = group.set_index("payment_id")["entry_id"]
        frames.append(pd.DataFrame({"entry_id": parts["payment_id"].map(entry_of).to_numpy(),
                                    "account": [supplier_account(str(i)) for i in parts["supplier_inn"]],
                                    "service": parts["service"].astype(str).to_numpy(),
                                    "amount": -parts["amount"].to_numpy(dtype=np.int64)}))  # fmt: skip
    legs = pd.concat(frames, ignore_index=True)
    return legs[legs["amount"] != 0].groupby(["entry_id", "account", "service"], as_index=False)["amount"].sum()


def test_a_corrected_export_imported_between_decide_and_post_changes_no_split(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config, _ = init_home(tmp_path / "home")
    day = generate(config.home, accounts=150, payments=600, seed=7)
    import_charges_files(config, day.charges_csv, day.suppliers_csv)
    home, work_dir = str(config.home), str(config.home / "work" / day.run_date.isoformat())

    with libraries_out_of_the_collector():  # the flow runs its tasks so (rkc.memory)
        intakes = [tasks.intake.fn(home, channel, str(path), work_dir) for channel, path in collect_inbox(config)]
        plan = tasks.decide.fn(home, intakes, work_dir)
        corrected = _corrected_export(day, tmp_path / "corrected.csv")
        outcome: dict = {}
        importing = threading.Thread(
            target=lambda: outcome.update(done=import_charges_files(config, tmp_path / "corrected.csv"))
        )
        importing.start()  # the import runs while the registers are posted
        for intake in intakes:
            tasks.post_register.fn(home, intake, plan, day.run_date)
    importing.join()
    assert outcome["done"].documents_corrected == len(corrected) and not outcome["done"].errors

    night = NightPlan.from_dict(plan)
    decided = pd.concat([read_plan_payments(night, Intake.from_dict(i), ["operation_id", "amount", "services"])
                         for i in intakes if i["status"] == PARSED], ignore_index=True)  # fmt: skip
    engine = make_engine(db_url)
    with engine.connect() as conn:
        entries = pd.read_sql_query(sa.text(
            "SELECT e.id AS entry_id, e.document_version, p.id AS payment_id, p.channel, p.operation_id,"
            " p.occurrence, p.matched_uip AS uip, p.amount FROM ledger_entry e JOIN payment p ON p.id = e.payment_id"
            " WHERE e.kind = 'payment' AND p.matched_uip IS NOT NULL"), conn)  # fmt: skip
        legs = pd.read_sql_query(sa.text(
            "SELECT p.entry_id, p.account, p.service, p.amount FROM ledger_posting p JOIN ledger_entry e"
            " ON e.id = p.entry_id WHERE e.kind = 'payment' AND p.account LIKE 'supplier:%'"), conn)  # fmt: skip
        versions = dict(conn.execute(sa.text("SELECT uip, version FROM payment_document")).all())
        suspense = conn.execute(sa.text(  # a payment split by no ПД names no version
            "SELECT COUNT(*), COUNT(e.document_version) FROM ledger_entry e JOIN payment p ON p.id = e.payment_id"
            " WHERE e.kind = 'payment' AND p.matched_uip IS NULL")).one()  # fmt: skip
        new_lines = version_lines(conn, pd.DataFrame({"uip": sorted(corrected), "version": 2}))
        assert check_ledger(conn) == []

    assert entries["document_version"].notna().all()  # every split names the version it used
    assert suspense[0] > 0 and suspense[1] == 0
    assert set(entries["document_version"]) == {1}  # decided before the import: the old versions
    on_corrected = entries["uip"].isin(corrected)
    assert on_corrected.sum() > 50  # the correction touches much of the night's money
    services = decided[decided["outcome"] == "posted"]  # duplicates share a key with what was posted
    services = services.assign(occurrence=services["occurrence"].astype("int64"))
    posted = entries.merge(services[["channel", "operation_id", "occurrence", "services"]], how="left",
                           on=["channel", "operation_id", "occurrence"], validate="one_to_one")  # fmt: skip
    codes = {c.name: c.service_codes for c in config.channels.values() if c.service_codes}
    expected = _expected_legs(engine, posted, codes)
    actual = legs.groupby(["entry_id", "account", "service"], as_index=False)["amount"].sum()
    key = ["entry_id", "account", "service"]
    pd.testing.assert_frame_equal(actual.sort_values(key, ignore_index=True).astype({"amount": "int64"}),
                                  expected.sort_values(key, ignore_index=True).astype({"amount": "int64"}))  # fmt: skip

    engine.dispose()
    # The corrections are there as version 2 of each corrected ПД, with the export's new lines.
    assert {u: versions[u] for u in corrected} == dict.fromkeys(corrected, 2)
    written = read_charges(tmp_path / "corrected.csv").lines
    written = written[written["uip"].isin(corrected)]
    assert sorted(zip(new_lines["uip"], new_lines["supplier_inn"], new_lines["amount"], strict=True)) == sorted(
        zip(written["uip"].astype(str), written["supplier_inn"].astype(str), written["amount"], strict=True)
    )
    engine = make_engine(db_url)
    with engine.connect() as conn:  # and the money on their old versions waits for acceptance
        assert len(held_payments(conn, sorted(corrected))) == on_corrected.sum()
    engine.dispose()
