"""Payers' own п/п become payments (#19 item 4): a statement's incoming п/п that no agent sent are
payments of the channel `direct`, named by their purpose text, posted and tied; on SQLite and
PostgreSQL. Each row of ``CASES`` is one п/п of the statement and what the night must make of it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from domain.direct import direct_operation_id, is_direct
from domain.money import format_amount
from domain.purpose import RULE_PURPOSE
from parsers.charges import read_charges
from rkc.app import import_charges_files
from rkc.config import Config, init_home, load_config
from rkc.inbox import NO_FILES_HERE, scan_inbox
from rkc.tie import tie_out
from sql.engine import make_engine
from sql.ledger_queries import balances, check_ledger
from synthetic import generate
from tests.nightutil import CENTER, run_night
from tests.nightutil import statement as night_statement

NIGHT = date(2026, 11, 20)
CENTER_INN = "7701234560"  # rkc init's center
SBER = ("ПАО Сбербанк", "7707083893", "30101810400000000225")  # channel sber's agent
A, B = "7707083893", "7830002293"
IPD = "26АА000101-01-1026"
CHARGES = f"""uip;account;period;supplier_inn;service;amount;payer;address
U1;1001;2026-10;{A};Содержание жилья;900.00;ИВАНОВ И И;Г ИПАТОВО УЛ ЛЕНИНА Д 1
U1;1001;2026-10;{B};Электроэнергия;600.00;ИВАНОВ И И;Г ИПАТОВО УЛ ЛЕНИНА Д 1
U0;1001;2026-09;{A};Содержание жилья;1500.00;ИВАНОВ И И;Г ИПАТОВО УЛ ЛЕНИНА Д 1
{IPD};1002;2026-10;{A};Содержание жилья;500.00;ПЕТРОВ П П;Г ИПАТОВО УЛ МИРА Д 3
{IPD};1002;2026-10;{B};Электроэнергия;500.00;ПЕТРОВ П П;Г ИПАТОВО УЛ МИРА Д 3
"""
SUPPLIERS = f"""inn;name;kpp;bank_account;bic;email
{A};ООО «УК Ипатово»;;;;
{B};АО «Энергосбыт»;;;;
"""
IVANOV = ("ИВАНОВ ИВАН ИВАНОВИЧ", "", "40817810000000001001")
PETROV = ("ПЕТРОВ ПЕТР ПЕТРОВИЧ", "", "40817810000000001002")
STRANGER = ("СИДОРОВ С С", "", "40817810000000009999")
OWN = ("РКЦ", CENTER_INN, "40702810000000000077")  # the center's other account

# (number, payer, kopecks, purpose, what becomes of it: the ПД paid, "suspense", or None: no payment)
CASES: list[tuple[str, tuple[str, str, str], int, str, str | None]] = [
    ("11", SBER, 248_000, "Перечисление средств по реестру № 7 от 19.11.2026", None),  # an agent's: no payment
    ("12", IVANOV, 150_000, "Оплата ЖКУ л/с №0001001 за октябрь 2026г", "U1"),  # ЛС and period
    ("13", IVANOV, 150_000, "ЛС 1001 за 09.2026", "U0"),  # the earlier month, as written
    ("14", PETROV, 100_000, f"ИПД {IPD} оплата", IPD),  # the ИПД alone names the ПД
    ("15", IVANOV, 70_000, "Квартплата лицевой счет 1001", "U1"),  # no month: the latest ПД
    ("16", STRANGER, 33_300, "Перевод собственных средств", "suspense"),  # names nothing
    ("17", STRANGER, 44_400, "ЛС 5555 за 10.2026", "suspense"),  # names an account nobody has
    ("18", OWN, 1_000_000, "Перевод между своими счетами", None),  # the center pays itself
]


def _home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config, _ = init_home(tmp_path / "home")
    (tmp_path / "charges.csv").write_text(CHARGES, encoding="utf-8")
    (tmp_path / "suppliers.csv").write_text(SUPPLIERS, encoding="utf-8")
    import_charges_files(config, tmp_path / "charges.csv", tmp_path / "suppliers.csv")
    return load_config(config.home)


def night(config: Config, engine: sa.Engine, work: Path) -> list:
    """The night's steps (``tests.nightutil``); the registers' outcomes."""
    return run_night(config, engine, NIGHT, work)[0]


def statement(cases: list, *, sent: str = "07:00:00") -> bytes:
    """The night's statement with a document per case."""
    return night_statement(NIGHT, [c[:4] for c in cases], sent=sent)


def _payments(engine: sa.Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql_query(sa.text(
            "SELECT p.id, p.channel, p.amount, p.account, p.uip, p.period, p.matched_uip, p.match_rule, p.line_no,"
            " r.file, r.tie_status, r.tie_rule FROM payment p JOIN register r ON r.id = p.register_id"
            " ORDER BY p.line_no"
        ), conn)  # fmt: skip


def test_payers_transfers_become_payments(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _home(tmp_path, db_url, monkeypatch)
    (config.statements_inbox / "vypiska.txt").write_bytes(statement(CASES))
    engine = sa.create_engine(config.database_url.replace("postgresql://", "postgresql+psycopg://"))
    outcomes = night(config, engine, tmp_path / "work")

    payers = [c for c in CASES if c[4] is not None]
    (outcome,) = outcomes
    assert (outcome.channel, outcome.file, outcome.status) == ("direct", "vypiska.txt", "posted")
    assert outcome.amount_total == sum(c[2] for c in payers)
    assert outcome.amount_total - outcome.posted - outcome.suspense == 0
    paid = _payments(engine)
    assert len(paid) == len(payers) and set(paid["channel"]) == {"direct"}
    for (number, _, kopecks, _text, expected), row in zip(payers, paid.itertuples(), strict=True):
        assert row.amount == kopecks, number
        if expected == "suspense":
            assert pd.isna(row.matched_uip) and pd.isna(row.match_rule), number
        else:
            assert (row.matched_uip, row.match_rule) == (expected, RULE_PURPOSE), number
    assert set(paid["tie_status"]) == {"tied"} and set(paid["tie_rule"]) == {"direct"}
    assert paid.loc[0, "account"] == "1001" and paid.loc[0, "period"] == "2026-10"  # what was read is stored

    with engine.connect() as conn:
        found = balances(conn)
        assert check_ledger(conn) == []
        details = dict(conn.execute(sa.text(
            "SELECT amount, detail FROM discrepancy WHERE code = 'UNKNOWN_ACCOUNT'")).all())  # fmt: skip
        missing = conn.execute(sa.text("SELECT COUNT(*) FROM discrepancy WHERE code = 'REGISTER_MISSING'")).scalar()
    received = sum(c[2] for c in payers)
    assert found.get("agent:direct", 0) == 0  # each payment's п/п received against it
    assert found[f"bank:{CENTER}"] == received + 248_000  # and the agent's п/п, unallocated
    assert found["agent_unallocated:sber"] == 248_000
    assert found["suspense"] == 33_300 + 44_400
    assert details[33_300] == "в назначении платежа нет ЛС, ИПД, ЕЛС, ИЖКУ или УИП: «Перевод собственных средств»"
    assert details[44_400].startswith("не найден ПД: УИП —, ЛС 5555") and "«ЛС 5555 за 10.2026»" in details[44_400]
    assert missing == 1  # the agent's п/п without its register, as before; the payers' are no agent's
    engine.dispose()


def test_the_same_transfers_again_are_paid_once(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same statement again (same bytes) and an overlapping one (other bytes, the same п/п and
    one more): each п/п is one payment; a second run of the night changes nothing."""
    config = _home(tmp_path, db_url, monkeypatch)
    engine = sa.create_engine(config.database_url.replace("postgresql://", "postgresql+psycopg://"))
    first = [c for c in CASES if c[0] in ("12", "16")]
    (config.statements_inbox / "a.txt").write_bytes(statement(first))
    night(config, engine, tmp_path / "work")
    assert len(_payments(engine)) == 2
    (config.statements_inbox / "a-again.txt").write_bytes(statement(first))
    assert night(config, engine, tmp_path / "work") == []
    more = [*first, ("19", PETROV, 100_000, f"ИПД {IPD}", IPD)]
    (config.statements_inbox / "b.txt").write_bytes(statement(more, sent="09:00:00"))
    (outcome,) = night(config, engine, tmp_path / "work")
    assert (outcome.file, outcome.amount_total, outcome.posted) == ("b.txt", 100_000, 100_000)
    assert night(config, engine, tmp_path / "work") == []
    paid = _payments(engine)
    assert len(paid) == 3 and paid["amount"].sum() == 150_000 + 33_300 + 100_000
    with engine.connect() as conn:
        found = balances(conn)
        assert check_ledger(conn) == []
    assert found.get("agent:direct", 0) == 0 and found[f"bank:{CENTER}"] == 283_300
    engine.dispose()


def test_without_the_channel_payers_transfers_stay_unposted(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A configuration without a channel of format statement keeps the old way: no payment, the
    п/п counted by the cash bridge as received without posting."""
    config = _home(tmp_path, db_url, monkeypatch)
    path = config.home / "rkc.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    del settings["channels"]["direct"]
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    config = load_config(config.home)
    (config.statements_inbox / "a.txt").write_bytes(statement([c for c in CASES if c[0] == "12"]))
    engine = sa.create_engine(config.database_url.replace("postgresql://", "postgresql+psycopg://"))
    assert night(config, engine, tmp_path / "work") == []
    summary = tie_out(config, engine, NIGHT)
    assert summary.cash_bridge["unposted_received"] == 150_000
    assert _payments(engine).empty
    engine.dispose()


# (payer's INN, payer's account, the channels naming the payer as agent, a payer's own payment?)
PAYERS = [
    ("", "40817810000000001001", frozenset(), True),  # a citizen's account
    ("500100732259", "40802810000000000001", frozenset(), True),  # an entrepreneur paying for a flat
    ("7707083893", "30101810400000000225", frozenset({"sber"}), False),  # the agent's
    ("7707083893", "", frozenset({"sber", "sber_south"}), False),  # one bank, two channels: still an agent
    ("", CENTER, frozenset(), False),  # the center's own account
    (CENTER_INN, "40702810000000000077", frozenset(), False),  # the center's other account
]


@pytest.mark.parametrize(("inn", "account", "agents", "direct"), PAYERS)
def test_whose_transfer_is_a_payment(inn: str, account: str, agents: frozenset, direct: bool) -> None:
    assert is_direct(inn, account, agents, CENTER_INN, CENTER) is direct


def test_a_transfers_payment_key_is_its_identity() -> None:
    """The same п/п (leading zeros of its number aside) has one key; another payer, sum or day another."""
    key = direct_operation_id("0012", NIGHT, "40817810000000001001", 150_000)
    assert key.startswith("~") and len(key) <= 64
    assert key == direct_operation_id("12", NIGHT.isoformat(), "40817810000000001001", 150_000)
    others = [("13", NIGHT, "40817810000000001001", 150_000), ("12", date(2026, 11, 21), "40817810000000001001",
              150_000), ("12", NIGHT, "40817810000000001002", 150_000), ("12", NIGHT, "40817810000000001001", 150_001)]
    assert len({key, *(direct_operation_id(*o) for o in others)}) == 5


def test_a_night_with_payers_transfers(harness, tmp_path: Path, db_url: str, monkeypatch) -> None:
    """The nightly flow on a generated day whose bank also lists two payers' п/п: their register is
    in the run summary, the bridge closes (residual 0), the ledger holds; a rerun adds nothing."""
    from flows.nightly import nightly

    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config, _ = init_home(tmp_path / "home")
    day = generate(config.home, accounts=150, payments=600, seed=5)
    import_charges_files(load_config(config.home), day.charges_csv, day.suppliers_csv)
    lines = read_charges(day.charges_csv).lines
    account, period = lines["account"].iloc[0], lines["period"].iloc[0]
    docs = [("901", IVANOV, 123_45, f"Оплата ЖКУ лицевой счет {account} за {period[5:]}.{period[:4]}"),
            ("902", STRANGER, 5_000, "Перевод собственных средств")]  # fmt: skip
    (config.statements_inbox / "payers.txt").write_bytes(night_statement(day.run_date, docs))

    result = nightly(home=str(config.home), run_date=day.run_date)
    summary = json.loads(Path(result["summary"]).read_text(encoding="utf-8"))
    assert summary["totals"]["residual"] == "0.00"
    (payers,) = [r for r in summary["registers"] if r["channel"] == "direct"]
    assert (payers["file"], payers["amount_total"], payers["suspense_amount"]) == ("payers.txt", "173.45", "50.00")
    assert payers["posted_amount"] == "123.45" and payers["residual"] == "0.00"
    engine = make_engine(config.database_url)
    with engine.connect() as conn:
        assert check_ledger(conn) == []
        assert balances(conn).get("agent:direct", 0) == 0
        rule = conn.execute(sa.text("SELECT match_rule FROM payment WHERE channel = 'direct' AND amount = 12345"))
        assert rule.scalar() == RULE_PURPOSE
        methods = conn.execute(sa.text("SELECT DISTINCT method FROM payment WHERE channel = 'direct'")).scalars()
        assert list(methods) == ["direct_transfer"]  # the channel's default: a payer's own п/п
    again = nightly(home=str(config.home), run_date=day.run_date)
    assert again["posted_this_run"] == [] and again["registers"] == result["registers"]
    engine.dispose()


def test_files_in_the_payers_channel_folder_are_strays(tmp_path: Path) -> None:
    """The channel of payers' п/п has no inbox: a file put into inbox/direct/ is set aside, named."""
    config, _ = init_home(tmp_path / "home")
    assert not (config.inbox / "direct").exists()
    (config.inbox / "direct").mkdir()
    (config.inbox / "direct" / "reestr.txt").write_text("x", encoding="utf-8")
    scan = scan_inbox(config)
    assert scan.registers == [] and [(c, p.name, r) for c, p, r, _ in scan.strays] == [
        ("direct", "reestr.txt", NO_FILES_HERE)]  # fmt: skip


def test_a_generated_night_with_payers_own_transfers(harness, tmp_path: Path, db_url: str, monkeypatch) -> None:
    """The generator's payers' п/п (``payers=True``, as `rkc generate` and the demo make them) through
    the nightly flow: the night is the manifest's, each named п/п pays the manifest's ПД by its
    purpose, the unnamed ones wait in suspense with their text, their register is tied."""
    from flows.nightly import nightly

    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config, _ = init_home(tmp_path / "home")
    day = generate(config.home, accounts=120, payments=400, seed=3, payers=True)
    import_charges_files(load_config(config.home), day.charges_csv, day.suppliers_csv)
    manifest = json.loads(day.manifest.read_text(encoding="utf-8"))
    expected, direct = manifest["expected"], manifest["direct"]
    result = nightly(home=str(config.home), run_date=day.run_date)
    summary = json.loads(Path(result["summary"]).read_text(encoding="utf-8"))
    totals = summary["totals"]
    assert totals["residual"] == "0.00"
    for key, want in (("amount_total", expected["amount_total"]), ("posted_amount", expected["posted_amount"]),
                      ("suspense_amount", expected["suspense"]["amount"]),
                      ("duplicate_amount", expected["duplicates"]["amount"])):  # fmt: skip
        assert totals[key] == format_amount(want), key
    (payers,) = [r for r in summary["registers"] if r["channel"] == "direct"]
    assert payers["amount_total"] == format_amount(direct["amount"])
    assert payers["suspense_amount"] == format_amount(direct["suspense"]["amount"])
    engine = make_engine(config.database_url)
    with engine.connect() as conn:
        assert check_ledger(conn) == []
        got = pd.read_sql_query(sa.text(
            "SELECT p.amount, p.match_rule, p.method, d.account, d.period, r.tie_status, r.tie_rule FROM payment p"
            " JOIN register r ON r.id = p.register_id LEFT JOIN payment_document d ON d.uip = p.matched_uip"
            " WHERE p.channel = 'direct' ORDER BY p.amount"), conn)  # fmt: skip
        shown = list(conn.execute(sa.text("SELECT detail FROM discrepancy WHERE code = 'UNKNOWN_ACCOUNT'"
                                          " AND detail LIKE '%назначени%'")).scalars())  # fmt: skip
    engine.dispose()
    want = sorted((t["amount"], t["account"], t["period"]) for t in direct["transfers"])
    rows = got[["amount", "account", "period"]].astype(object).itertuples(index=False)
    assert sorted((int(a), *(None if pd.isna(v) else v for v in rest)) for a, *rest in rows) == want
    assert set(got.loc[got["account"].notna(), "match_rule"]) == {RULE_PURPOSE}
    assert set(got["method"]) == {"direct_transfer"} and set(got["tie_rule"]) == {"direct"}
    unnamed = [t["purpose"] for t in direct["transfers"] if t["expected"] == "suspense"]
    assert sorted(shown) == sorted(f"в назначении платежа нет ЛС, ИПД, ЕЛС, ИЖКУ или УИП: «{p}»" for p in unnamed)


def test_payers_own_transfers_are_not_reversed(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A register of payers' п/п is no agent's to recall, nor is one of its payments reversed: the
    receipt of each п/п stands, so a reversal would leave the payer's money on agent:direct owed to
    nobody (and the next night would tie the п/п to the reversed register again). Both are refused,
    nothing is written, and the money can still go back to the payer by a refund."""
    from rkc.refunds import refundable
    from rkc.reverse import ReversalRefused, reverse_payment, reverse_register

    config = _home(tmp_path, db_url, monkeypatch)
    (config.statements_inbox / "vypiska.txt").write_bytes(statement(CASES))
    engine = sa.create_engine(config.database_url.replace("postgresql://", "postgresql+psycopg://"))
    night(config, engine, tmp_path / "work")
    paid = _payments(engine)
    with engine.connect() as conn:
        before = balances(conn)
        register_id = conn.execute(sa.text("SELECT id FROM register WHERE channel = 'direct'")).scalar_one()
        entries = conn.execute(sa.text("SELECT COUNT(*) FROM ledger_entry")).scalar()
    with pytest.raises(ReversalRefused, match=r"payer's own п/п \(channel direct\).*rkc refunds request"):
        reverse_register(engine, register_id, "ошибка", NIGHT)
    first = int(paid.loc[0, "id"])
    with pytest.raises(ReversalRefused, match=rf"payment {first} is a payer's own п/п"):
        reverse_payment(engine, first, "ошибка", NIGHT)
    with engine.connect() as conn:
        assert balances(conn) == before and check_ledger(conn) == []
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ledger_entry")).scalar() == entries
        assert conn.execute(sa.text("SELECT COUNT(*) FROM reversal_request")).scalar() == 0
        status = conn.execute(sa.text("SELECT status FROM register WHERE id = :r"), {"r": register_id}).scalar()
    assert status == "posted" and night(config, engine, tmp_path / "work") == []
    assert refundable(engine, first) == int(paid.loc[0, "amount"])
    engine.dispose()
