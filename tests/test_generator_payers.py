"""The generator's payers' own п/п (issue #19): drawn apart from the rest of the day, each naming
its ПД in the purpose only (or nothing), none without a channel for them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from parsers.charges import read_charges
from rkc.config import default_config_text, parse_config
from synthetic import GeneratedDay, generate
from tests.test_generator import ACCOUNTS, PAYMENTS, _digest, _incoming


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> GeneratedDay:
    return generate(tmp_path_factory.mktemp("day"), accounts=ACCOUNTS, payments=PAYMENTS, seed=7)


@pytest.fixture(scope="module")
def payers_day(tmp_path_factory: pytest.TempPathFactory) -> GeneratedDay:
    return generate(tmp_path_factory.mktemp("payers"), accounts=ACCOUNTS, payments=PAYMENTS, seed=7, payers=True)


def test_payers_own_transfers_change_the_statement_only(day: GeneratedDay, payers_day: GeneratedDay) -> None:
    """The payers' п/п are drawn apart: every register and the charges are the bytes of the day without them."""
    without, with_ = _digest(day.dir), _digest(payers_day.dir)
    changed = {k for k in without if with_.get(k) != without[k]}
    assert set(with_) == set(without)
    assert changed == {"manifest.json", "inbox/statements/kl_to_1c_20261120.txt",
                       "next-day/statements/kl_to_1c_20261121.txt"}  # fmt: skip  # its opening is today's closing


def test_payers_own_transfers_name_their_pd_in_the_purpose_only(payers_day: GeneratedDay) -> None:
    """Each payer's п/п is in the statement, from a personal account no agent has, for the center; its
    purpose names the manifest's ПД (ЛС and month, its ИПД or its УИП) as payers write it, or nothing."""
    from domain.purpose import purpose_identifiers
    from parsers.statement_1c import parse_statement

    manifest = json.loads(payers_day.manifest.read_text(encoding="utf-8"))
    direct, expected = manifest["direct"], manifest["expected"]
    items = direct["transfers"]
    assert direct["channel"] == "direct" and direct["file"] == "inbox/statements/kl_to_1c_20261120.txt"
    assert 5 <= len(items) == direct["count"] <= 10 and sum(t["amount"] for t in items) == direct["amount"]
    unnamed = [t["expected"] for t in items].count("suspense")
    assert unnamed in (1, 2) and unnamed == direct["suspense"]["lines"]
    statement = parse_statement(payers_day.statements[0])
    docs = {(d.number, d.amount): d for d in statement.transfers if d.incoming}
    charges = read_charges(payers_day.charges_csv).lines
    agents = {c.agent_account for c in parse_config(yaml.safe_load(default_config_text()), payers_day.dir)
              .channels.values() if c.agent_account}  # fmt: skip
    read = purpose_identifiers(pd.Series([t["purpose"] for t in items]))
    for t, (_, got) in zip(items, read.iterrows(), strict=True):
        doc = docs[(t["number"], t["amount"])]
        assert (doc.purpose, doc.payer_account) == (t["purpose"], t["payer_account"])
        assert doc.payer_account.startswith("40817") and doc.payer_account not in agents
        if t["expected"] == "suspense":
            assert got[["account", "uip", "els"]].isna().all(), t
            continue
        owed = charges[(charges["account"] == t["account"]) & (charges["period"] == t["period"])]
        assert len(owed) and t["amount"] >= int(owed["amount"].sum())  # paid in full (one rounded up)
        named = got["uip"] if pd.notna(got["uip"]) else None
        assert named in set(owed["uip"]) or (got["account"], got["period"]) == (t["account"], t["period"]), t
    uips = read["uip"].dropna().str.len()
    assert read["account"].notna().sum() >= 3 and set(uips) == {18, 20}  # by ЛС and month, by ИПД, by the УИП
    st = manifest["statements"][0]
    assert st["incoming"] == _incoming(manifest) + direct["amount"]
    assert expected["payment_lines"] == sum(r["lines"] for r in manifest["registers"]) + len(items)
    assert expected["amount_total"] == sum(r["amount"] for r in manifest["registers"]) + direct["amount"]
    assert direct["file"] in expected["registers_tied"]
    parts = (expected["posted_amount"] + expected["quarantined"]["amount"] + expected["rejected"]["amount"]
             + expected["duplicates"]["amount"] + expected["suspense"]["amount"])  # fmt: skip
    assert parts == expected["amount_total"]


def test_no_payers_transfers_without_a_channel_for_them(tmp_path: Path) -> None:
    data = yaml.safe_load(default_config_text())
    del data["channels"]["direct"]
    (tmp_path / "rkc.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    day = generate(tmp_path, accounts=ACCOUNTS, payments=PAYMENTS, seed=7, payers=True)
    assert day.payers == () and "direct" not in json.loads(day.manifest.read_text(encoding="utf-8"))
