"""Whose money a ГИС ЖКХ notification is (#19 item 2): a ГИС ЖКХ channel configured with
``money_from: sber`` and no agent posts Dr agent:sber and is tied as part of Sber's transfers, on
SQLite and PostgreSQL; a payment seen in Sber's register and in a notification stays one payment."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from domain.money import format_amount
from domain.purpose import RULE_PURPOSE
from domain.records import BankTransfer
from domain.tie_riders import BANK_COLUMNS, RIDER_COLUMNS, RULE_BANK_TRANSFER, RULE_WITH_BANK, tie_riders
from domain.tieout import TIE_COLUMNS, TIE_FLAG_COLUMNS, TieResult
from rkc.app import import_charges_files
from rkc.config import Config, ConfigError, init_home, load_config, parse_config
from sql.ledger_queries import balances, check_ledger
from synthetic import generate
from tests.nightutil import run_night, statement

NIGHT = date(2026, 11, 20)
A, B = "7707083893", "7830002293"
SBER = ("ПАО Сбербанк", "7707083893", "30101810400000000225")  # channel sber's agent in rkc init's config
CHARGES = f"""uip;account;period;supplier_inn;service;amount;payer;address
U1;1001;2026-10;{A};Содержание жилья;900.00;ИВАНОВ И И;Г ИПАТОВО УЛ ЛЕНИНА Д 1
U1;1001;2026-10;{B};Электроэнергия;600.00;ИВАНОВ И И;Г ИПАТОВО УЛ ЛЕНИНА Д 1
U2;1002;2026-10;{A};Содержание жилья;1000.00;ПЕТРОВ П П;Г ИПАТОВО УЛ МИРА Д 3
U3;1003;2026-10;{B};Электроэнергия;300.00;СИДОРОВ С С;Г ИПАТОВО УЛ МИРА Д 5
"""
SUPPLIERS = f"""inn;name;kpp;bank_account;bic;email
{A};ООО «УК Ипатово»;;;;
{B};АО «Энергосбыт»;;;;
"""
# Sber's register: net 2277.00; operation 4 (ЛС 1003, 300.00) is notified through ГИС ЖКХ too.
SBER_REGISTER = """19-11-2026;10-00-00;8625;8625099V;1;1001;ИВАНОВ И И;Г ИПАТОВО;1026;1500,00;1485,00;15,00
19-11-2026;10-05-00;8625;8625099V;2;1002;ПЕТРОВ П П;Г ИПАТОВО;1026;500,00;495,00;5,00
19-11-2026;10-15-00;8625;8625099V;4;1003;СИДОРОВ С С;Г ИПАТОВО;1026;300,00;297,00;3,00
=3;2300,00;2277,00;23,00;517;20-11-2026
"""
SBER_NET, GIS_OWN = 227_700, 60_000  # the notifications' own money: 400.00 by ЛС, 200.00 by purpose
NS = ('xmlns:pay="http://dom.gosuslugi.ru/schema/integration/payment/" '
      'xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" '
      'xmlns:pb="http://dom.gosuslugi.ru/schema/integration/payments-base/" '
      'xmlns:ab="http://dom.gosuslugi.ru/schema/integration/account-base/"')  # fmt: skip


def _note(order: str, kopecks: int, account: str | None, purpose: str) -> str:
    named = f"<base:Year>2026</base:Year><base:Month>10</base:Month><ab:AccountNumber>{account}</ab:AccountNumber>"
    return (f"<pay:NotificationOfOrderExecutionType><pb:OrderInfo><pb:OrderID>{order.ljust(32, '0')}</pb:OrderID>"
            f"<pb:OrderDate>2026-11-19</pb:OrderDate><pb:Amount>{kopecks}</pb:Amount>"
            f"<pb:PaymentPurpose>{purpose}</pb:PaymentPurpose>{named if account else ''}</pb:OrderInfo>"
            "</pay:NotificationOfOrderExecutionType>")  # fmt: skip


GIS = (f'<?xml version="1.0" encoding="UTF-8"?>\n<pay:importNotificationsOfOrderExecutionRequest {NS} '
       'base:version="10.0.1.1">'
       + _note("G1", 30_000, "1003", "ЖКУ")  # Sber's operation 4 again: the bank's copy is kept
       + _note("G2", 40_000, "1002", "ЖКУ")
       + _note("G3", 20_000, None, "Оплата ЖКУ ЛС 1001 за октябрь 2026")  # named by its purpose only
       + "</pay:importNotificationsOfOrderExecutionRequest>\n")  # fmt: skip


def _home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Config:
    """rkc init's configuration with channel gis paid by Sber (``money_from``), charges imported."""
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config, _ = init_home(tmp_path / "home")
    path = config.home / "rkc.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    del settings["channels"]["gis"]["agent"]
    settings["channels"]["gis"]["money_from"] = "sber"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    (tmp_path / "charges.csv").write_text(CHARGES, encoding="utf-8")
    (tmp_path / "suppliers.csv").write_text(SUPPLIERS, encoding="utf-8")
    config = load_config(config.home)
    import_charges_files(config, tmp_path / "charges.csv", tmp_path / "suppliers.csv")
    return config


def _drop(config: Config, *, sber: bool = True, gis: bool = True) -> None:
    if sber:
        (config.inbox / "sber" / "reestr_517.txt").write_bytes(SBER_REGISTER.replace("\n", "\r\n").encode("cp1251"))
    if gis:
        (config.inbox / "gis" / "notifications.xml").write_text(GIS, encoding="utf-8")


def _engine(config: Config) -> sa.Engine:
    return sa.create_engine(config.database_url.replace("postgresql://", "postgresql+psycopg://"))


def _state(engine: sa.Engine) -> tuple[dict, pd.DataFrame, dict]:
    """Balances, the registers' tie and the night's discrepancy counts."""
    with engine.connect() as conn:
        assert check_ledger(conn) == []
        found = balances(conn)
        ties = pd.read_sql_query(sa.text("SELECT channel, tie_status, tie_rule, transfer_id FROM register"
                                         " ORDER BY channel"), conn).set_index("channel")  # fmt: skip
        ties = ties.astype(object).where(ties.notna(), None)
        codes = dict(conn.execute(sa.text("SELECT code, COUNT(*) FROM discrepancy GROUP BY code")).all())
    return found, ties, codes


# (how Sber pays: its п/п of the day (number, kopecks, purpose); the gis register's tie; Sber's register's)
SHAPES = [
    ("one п/п for both", [("517", SBER_NET + GIS_OWN, "Реестр 517")], ("tied", RULE_WITH_BANK), "tied"),
    ("a п/п apart", [("517", SBER_NET, "Реестр 517"), ("518", GIS_OWN, "Платежи по извещениям ГИС ЖКХ")],
     ("tied", RULE_BANK_TRANSFER), "tied"),
    ("not paid yet", [("517", SBER_NET, "Реестр 517")], ("TRANSFER_MISSING", None), "tied"),
]


@pytest.mark.parametrize(("shape", "orders", "gis_tie", "sber_tie"), SHAPES, ids=[s[0] for s in SHAPES])
def test_gis_money_is_tied_with_the_banks_transfers(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, shape: str, orders: list, gis_tie: tuple,
    sber_tie: str,
) -> None:  # fmt: skip
    config = _home(tmp_path, db_url, monkeypatch)
    _drop(config)
    docs = [(n, SBER, k, f"{p} от {NIGHT:%d.%m.%Y}") for n, k, p in orders]
    (config.statements_inbox / "vypiska.txt").write_bytes(statement(NIGHT, docs))
    engine = _engine(config)
    outcomes, summary = run_night(config, engine, NIGHT, tmp_path / "work")
    found, ties, codes = _state(engine)

    gis = next(o for o in outcomes if o.channel == "gis")
    assert (gis.posted, gis.duplicate) == (GIS_OWN, 30_000)  # its copy of Sber's operation 4 is the duplicate
    assert codes["DUPLICATE_CROSS_CHANNEL"] == 1
    assert "agent:gis" not in found and "commission:gis" not in found
    assert (ties.loc["gis", "tie_status"], ties.loc["gis", "tie_rule"]) == gis_tie
    assert ties.loc["sber", "tie_status"] == sber_tie
    assert "TRANSFER_MISMATCH" not in codes and "REGISTER_MISSING" not in codes
    if gis_tie[0] == "tied":
        assert found.get("agent:sber", 0) == 0 and "TRANSFER_MISSING" not in codes
        assert summary.missing == 0
    else:  # the bank's money for the notifications is owed, and reported as the bank's п/п missing
        assert found["agent:sber"] == GIS_OWN and codes["TRANSFER_MISSING"] == 1
        with engine.connect() as conn:
            detail = conn.execute(sa.text("SELECT detail FROM discrepancy WHERE code = 'TRANSFER_MISSING'")).scalar()
        assert detail == ("п/п банка (канал sber) с деньгами платежей ГИС ЖКХ за 19.11.2026 на 600,00 "
                          "не найден в выписке")
    if shape == "one п/п for both":
        assert ties.loc["gis", "transfer_id"] == ties.loc["sber", "transfer_id"]
    with engine.connect() as conn:
        rules = dict(conn.execute(sa.text("SELECT operation_id, match_rule FROM payment WHERE channel = 'gis'")).all())
    assert rules == {"G2".ljust(32, "0"): "account_period", "G3".ljust(32, "0"): RULE_PURPOSE}
    engine.dispose()


def test_notifications_after_the_banks_register_take_its_difference(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sber's register arrives first with the п/п that pays the notifications too (a difference);
    the notifications come the next night and take it: both end tied, nothing owed."""
    config = _home(tmp_path, db_url, monkeypatch)
    engine = _engine(config)
    _drop(config, gis=False)
    docs = [("517", SBER, SBER_NET + GIS_OWN, f"Реестр 517 от {NIGHT:%d.%m.%Y}")]
    (config.statements_inbox / "vypiska.txt").write_bytes(statement(NIGHT, docs))
    run_night(config, engine, NIGHT, tmp_path / "work")
    found, ties, _ = _state(engine)
    assert ties.loc["sber", "tie_status"] == "TRANSFER_MISMATCH" and found["agent:sber"] == -GIS_OWN
    _drop(config, sber=False)
    later = NIGHT + timedelta(days=1)
    run_night(config, engine, later, tmp_path / "work2")
    found, ties, _ = _state(engine)
    assert ties.loc["sber", "tie_status"] == "tied"
    assert (ties.loc["gis", "tie_status"], ties.loc["gis", "tie_rule"]) == ("tied", RULE_WITH_BANK)
    assert found.get("agent:sber", 0) == 0
    engine.dispose()


@pytest.mark.parametrize(("copy_change", "sber_tie", "detail"), [
    ("\r\n", "tied", None),
    ("minus 100", "TRANSFER_MISMATCH", "п/п № 517 на 2\xa0877,00, из них 600,00 — платежи ГИС ЖКХ, "
                                       "уже привязанные к нему; расхождение 99,00"),
], ids=["other bytes, the same lines", "an amount corrected"])
def test_a_recalled_bank_register_sent_again_ties_to_the_shared_transfer(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch, copy_change: str, sber_tie: str, detail: str | None,
) -> None:  # fmt: skip
    """One п/п paid Sber's register and the notifications (``with_bank``); Sber recalls its register
    and sends it again: the copy ties to the freed п/п, whose notifications' money is no difference
    of the copy's. A copy of other amounts keeps the difference that is its own."""
    from rkc.reverse import reverse_register

    config = _home(tmp_path, db_url, monkeypatch)
    _drop(config)
    docs = [("517", SBER, SBER_NET + GIS_OWN, f"Реестр 517 от {NIGHT:%d.%m.%Y}")]
    (config.statements_inbox / "vypiska.txt").write_bytes(statement(NIGHT, docs))
    engine = _engine(config)
    run_night(config, engine, NIGHT, tmp_path / "work")
    _, ties, _ = _state(engine)
    assert ties.loc["sber", "tie_status"] == "tied" and ties.loc["gis", "tie_rule"] == RULE_WITH_BANK
    with engine.connect() as conn:
        sber_id = conn.execute(sa.text("SELECT id FROM register WHERE channel = 'sber'")).scalar_one()
    reverse_register(engine, sber_id, "агент отозвал реестр", NIGHT)

    text = SBER_REGISTER
    if copy_change == "minus 100":  # operation 2 paid 100,00 less: the copy's net is 99,00 less
        text = text.replace("500,00;495,00;5,00", "400,00;396,00;4,00").replace("=3;2300,00;2277,00;23,00",
                                                                              "=3;2200,00;2178,00;22,00")
    else:  # other bytes, the same payments (the same bytes would be a DUPLICATE_FILE)
        text += copy_change
    (config.inbox / "sber" / "reestr_517_corrected.txt").write_bytes(text.replace("\n", "\r\n").encode("cp1251"))
    later = NIGHT + timedelta(days=1)
    run_night(config, engine, later, tmp_path / "work2")
    with engine.connect() as conn:
        assert check_ledger(conn) == []
        rows = {(c, s): (t, r, p) for c, s, t, r, p in conn.execute(sa.text(
            "SELECT channel, status, tie_status, tie_rule, transfer_id FROM register"))}  # fmt: skip
        found = conn.execute(sa.text("SELECT detail FROM discrepancy WHERE code = 'TRANSFER_MISMATCH'"
                                     " AND run_date = :d"), {"d": later.isoformat()}).scalars().all()  # fmt: skip
    assert len(rows) == 3
    (_, _, paid_by), (gis_tie, gis_rule, gis_paid_by) = rows["sber", "recalled"], rows["gis", "posted"]
    copy_tie, _, copy_paid_by = rows["sber", "posted"]
    assert paid_by == gis_paid_by == copy_paid_by
    assert (gis_tie, gis_rule) == ("tied", RULE_WITH_BANK)
    assert copy_tie == sber_tie
    assert found == ([detail] if detail else [])
    engine.dispose()


@pytest.mark.parametrize(
    ("gis", "message"),
    [
        ({"format": "gis_xml", "money_from": "nobody"}, "not another configured channel"),
        ({"format": "gis_xml", "money_from": "gis"}, "not another configured channel"),
        ({"format": "gis_xml", "money_from": "direct"}, "has no agent of its own"),
        ({"format": "text", "money_from": "sber"}, "is for ГИС ЖКХ channels"),
        ({"format": "gis_xml", "money_from": "sber", "agent": {"inn": "7705013033"}}, "no agent of its own"),
    ],
)
def test_money_from_is_checked(tmp_path: Path, gis: dict, message: str) -> None:
    channels = {"sber": {"format": "text", "agent": {"inn": "7707083893"}}, "direct": {"format": "statement"},
                "gis": gis}  # fmt: skip
    with pytest.raises(ConfigError, match=message):
        parse_config({"channels": channels}, tmp_path)


def test_a_generated_night_with_gis_paid_by_sber(harness, tmp_path: Path, db_url: str, monkeypatch) -> None:
    """The generator in the new shape (channel gis with ``money_from: sber``: Sber pays the
    notifications by a п/п apart) through the nightly flow: the bridge closes, the ГИС ЖКХ register
    is tied to Sber's п/п, nothing is owed on an agent:gis account; the planted cross-channel
    copy is the notification's."""
    from flows.nightly import nightly

    config = _home(tmp_path, db_url, monkeypatch)
    day = generate(config.home, accounts=150, payments=600, seed=5)
    import_charges_files(config, day.charges_csv, day.suppliers_csv)
    result = nightly(home=str(config.home), run_date=day.run_date)
    summary = json.loads(Path(result["summary"]).read_text(encoding="utf-8"))
    expected = json.loads(day.manifest.read_text(encoding="utf-8"))["expected"]
    assert summary["totals"]["residual"] == "0.00"
    assert summary["totals"]["duplicate_amount"] == format_amount(expected["duplicates"]["amount"])
    (gis,) = [r for r in summary["registers"] if r["channel"] == "gis"]
    copy = json.loads(day.manifest.read_text(encoding="utf-8"))["defects"]["cross_channel"]["copy"][0]
    assert gis["duplicate_amount"] == format_amount(copy["amount"])  # the notification is the copy
    engine = _engine(config)
    found, ties, codes = _state(engine)
    assert (ties.loc["gis", "tie_status"], ties.loc["gis", "tie_rule"]) == ("tied", RULE_BANK_TRANSFER)
    assert "agent:gis" not in found and codes.get("TRANSFER_MISSING") == 1  # the late portal п/п only
    engine.dispose()


DAY = date(2026, 11, 19)


def _t(line: int, amount: int, day: date = NIGHT, number: str = "") -> BankTransfer:
    return BankTransfer(number or str(line), day, amount, True, payer_inn=SBER[1], payer_account=SBER[2], line_no=line)


def _bank_tie(rows: list[tuple]) -> TieResult:
    """Tonight's tie of Sber's registers: (register_id, status, transfer line, transfer amount, difference)."""
    frame = pd.DataFrame([(r, s, "number_date" if line else None, str(line) if line else None, NIGHT if line else None,
                           amount, line, diff) for r, s, line, amount, diff in rows], columns=TIE_COLUMNS)  # fmt: skip
    flags = pd.DataFrame([(r, line, s, "") for r, s, line, _, _ in rows if s != "tied"], columns=TIE_FLAG_COLUMNS)
    return TieResult(frame.astype({"transfer_line_no": "Int64", "transfer_amount": "Int64", "difference": "Int64"}),
                     flags.astype({"register_id": object, "transfer_line_no": "Int64"}))  # fmt: skip


# (case, Sber's registers tonight, earlier mismatched ones, unused п/п, the riders' own money,
#  what the riders get: (status, rule, transfer line), Sber's register 1 afterwards)
RIDER_CASES = [
    ("one п/п for both", [(1, "TRANSFER_MISMATCH", 11, 900, 300)], [], [_t(11, 900)], [200, 100],
     ("tied", RULE_WITH_BANK, 11), "tied"),
    ("a п/п apart", [(1, "tied", 11, 600, 0)], [], [_t(11, 600), _t(12, 300)], [200, 100],
     ("tied", RULE_BANK_TRANSFER, 12), "tied"),
    ("the difference is not theirs", [(1, "TRANSFER_MISMATCH", 11, 900, 250)], [], [_t(11, 900)], [200, 100],
     ("TRANSFER_MISSING", None, None), "TRANSFER_MISMATCH"),
    ("two п/п would do", [(1, "tied", 11, 600, 0)], [], [_t(11, 600), _t(12, 300), _t(13, 300)], [300],
     ("TRANSFER_MISSING", None, None), "tied"),
    ("a п/п before their day", [(1, "tied", 11, 600, 0)], [], [_t(11, 600), _t(12, 300, DAY - timedelta(days=1))],
     [300], ("TRANSFER_MISSING", None, None), "tied"),
    ("the register came first", [], [(1, "TRANSFER_MISMATCH", 11, 900, 300)], [], [300],
     ("tied", RULE_WITH_BANK, 11), "tied"),
    ("every payment was the bank's", [(1, "tied", 11, 600, 0)], [], [_t(11, 600)], [0],
     ("tied", RULE_WITH_BANK, None), "tied"),
]


@pytest.mark.parametrize(("case", "tonight", "earlier", "unused", "own", "riders", "bank"), RIDER_CASES,
                         ids=[c[0] for c in RIDER_CASES])  # fmt: skip
def test_rider_passes(case: str, tonight: list, earlier: list, unused: list, own: list, riders: tuple,
                      bank: str) -> None:  # fmt: skip
    result = _bank_tie(tonight)
    banks = pd.DataFrame([(r[0], "sber", DAY) for r in tonight], columns=BANK_COLUMNS)
    before = _bank_tie(earlier).registers.assign(channel="sber", register_date=DAY) if earlier else None
    frame = pd.DataFrame([(100 + i, "gis", "sber", kop, DAY) for i, kop in enumerate(own)], columns=RIDER_COLUMNS)
    senders = {t.line_no: frozenset({"sber"}) for t in unused}
    out = tie_riders(result, banks, frame, unused, senders, before)
    got = out.registers.set_index("register_id")
    for rid in frame["register_id"]:
        line = got.loc[rid, "transfer_line_no"]
        assert (got.loc[rid, "status"], got.loc[rid, "rule"], None if pd.isna(line) else int(line)) == riders
    assert got.loc[1, "status"] == bank
    codes = out.flags.groupby("code")["register_id"].apply(list).to_dict()
    if riders[0] == "tied":
        assert "TRANSFER_MISSING" not in codes and "REGISTER_MISSING" not in codes
    else:
        assert codes["TRANSFER_MISSING"] == list(frame["register_id"])


# (case, tonight's tie of Sber's register 1, riders' money already on a п/п: {line: kopecks},
#  register 1's status and difference afterwards, its TRANSFER_MISMATCH flags)
CARRIED_CASES = [
    ("the riders explain the difference", (1, "TRANSFER_MISMATCH", 11, 900, 300), {11: 300}, ("tied", 0), 0),
    ("a difference of its own besides", (1, "TRANSFER_MISMATCH", 11, 900, 350), {11: 300},
     ("TRANSFER_MISMATCH", 50), 1),
    ("riders on another п/п", (1, "TRANSFER_MISMATCH", 11, 900, 300), {12: 300}, ("TRANSFER_MISMATCH", 300), 1),
    ("tied anyway", (1, "tied", 11, 600, 0), {11: 300}, ("tied", 0), 0),
]


@pytest.mark.parametrize(("case", "tonight", "carried", "after", "flags"), CARRIED_CASES,
                         ids=[c[0] for c in CARRIED_CASES])  # fmt: skip
def test_riders_carried_by_a_freed_transfer(case: str, tonight: tuple, carried: dict, after: tuple,
                                            flags: int) -> None:  # fmt: skip
    from domain.tie_riders import tie_carried

    out = tie_carried(_bank_tie([tonight]), carried)
    row = out.registers.set_index("register_id").loc[1]
    assert (row["status"], int(row["difference"])) == after
    mismatch = out.flags[out.flags["code"] == "TRANSFER_MISMATCH"]
    assert len(mismatch) == flags
    if case == "a difference of its own besides":
        assert mismatch["detail"].iloc[0].endswith("из них 3,00 — платежи ГИС ЖКХ, уже привязанные к нему; "
                                                   "расхождение 0,50")
