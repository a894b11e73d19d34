"""A night with an untidy inbox through the nightly flow, on SQLite and PostgreSQL: an upload in
progress and a stuck one, a symbolic link, a register dated a year ahead, a register with its
totals file beside it, one that waited for it in vain on a channel that refuses unverified
registers, one still waiting; then the accountant accepts the payment held for its date. And the
meter readings of a register stored at posting and shown in the report."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import openpyxl
import pandas as pd
import sqlalchemy as sa
from python_calamine import CalamineWorkbook

from domain.codes import TITLES_RU, Code
from flows import nightly as tasks
from reports.night_sheets import INBOX_TITLE, METERS_TITLE
from reports.run_report import PAYMENT_ID_HEADER, RESOLVER_HEADER, TARGET_HEADER
from reports.xlsx import sheet_title
from rkc.config import CONFIG_NAME, init_home, load_config
from rkc.inbox import scan_inbox
from rkc.memory import libraries_out_of_the_collector
from rkc.workfiles import read_payments, write_payments
from sql.engine import make_engine, migrate
from sql.ledger_queries import balances, check_ledger
from tests.test_handmade_day import A, _drop_day

RUN = dt.date(2026, 11, 20)
KBANK = """  kbank:                  # a bank that sends its totals in a separate .K01 file
    format: text
    dialect: pipe_header
    agent: {name: АО «К-Банк», inn: "7700000001", account: "40702810000000000777"}
    totals_file: {pattern: '(?P<stem>\\d+)\\.K01', register: '{stem}.001', wait_minutes: 120}
"""
FUTURE = """19-11-2027;10-00-00;8625;8625099V;9;000001001;ИВАНОВ И И;Г ИПАТОВО УЛ ЛЕНИНА Д 1;1026;1500,00;1485,00;15,00
=1;1500,00;1485,00;15,00;519;20-11-2026
"""
PIPE = "date|operation|account|uip|fio|address|period|amount|commission\n{rows}"
ROW = "19.11.2026|{op}|9998||КУЗНЕЦОВ К К|Г ИПАТОВО|10.2026|{amount}|0,00\n"


def _aged(path: Path, minutes: int) -> None:
    then = time.time() - minutes * 60
    os.utime(path, (then, then), follow_symlinks=False)


def _untidy_day(tmp_path: Path) -> tuple:
    config, _ = init_home(tmp_path / "home")
    path = config.home / CONFIG_NAME
    path.write_text(path.read_text(encoding="utf-8") + KBANK, encoding="utf-8")
    config = load_config(config.home)
    (config.inbox / "kbank").mkdir()
    _drop_day(config, tmp_path)
    sber, kbank = config.inbox / "sber", config.inbox / "kbank"
    (sber / "reestr_519.txt").write_bytes(FUTURE.replace("\n", "\r\n").encode("cp1251"))
    (sber / ".reestr_520.txt.part").write_text("half a register", encoding="utf-8")
    (sber / ".reestr_521.txt.part").write_text("a register that never finished", encoding="utf-8")
    _aged(sber / ".reestr_521.txt.part", 180)
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not a register", encoding="utf-8")
    (sber / "link.txt").symlink_to(outside)
    (kbank / "00042.001").write_text(PIPE.format(rows=ROW.format(op="K1", amount="30,00") + ROW.format(
        op="K2", amount="20,00")), encoding="utf-8")  # fmt: skip
    (kbank / "00042.K01").write_text("2;50.00\n", encoding="utf-8")
    (kbank / "00043.001").write_text(PIPE.format(rows=ROW.format(op="K3", amount="70,00")), encoding="utf-8")
    _aged(kbank / "00043.001", 121)
    (kbank / "00044.001").write_text(PIPE.format(rows=ROW.format(op="K4", amount="80,00")), encoding="utf-8")
    return config, outside


def test_an_untidy_night(harness, tmp_path, db_url, monkeypatch) -> None:
    from flows.nightly import nightly

    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config, outside = _untidy_day(tmp_path)
    result = nightly(home=str(config.home), run_date=RUN)
    codes = result["discrepancies"]
    assert codes["DATE_OUT_OF_RANGE"] == 1
    assert codes["UNVERIFIED_REGISTER"] == 2  # ГИС ЖКХ's notifications (allowed) and 00043.001 (refused)
    assert codes["BAD_FILE"] == 1  # the link

    summary = json.loads(Path(result["summary"]).read_text(encoding="utf-8"))
    assert summary["totals"]["residual"] == "0.00"
    states = {e["file"]: e["state"] for e in summary["inbox"]}
    assert states == {".reestr_520.txt.part": "in_transit", ".reestr_521.txt.part": "stuck",
                      "00044.001": "waiting_for_totals", "link.txt": "quarantined"}  # fmt: skip
    left = sorted(p.name for c in config.inbox_channels for p in (config.inbox / c).iterdir())
    assert left == [".reestr_520.txt.part", ".reestr_521.txt.part", "00044.001"]  # every one of them listed
    assert outside.read_text(encoding="utf-8") == "not a register"
    day_archive, day_quarantine = config.archive / RUN.isoformat(), config.quarantine / RUN.isoformat()
    assert (day_quarantine / "sber" / "link.txt").is_symlink()
    assert sorted(p.name for p in (day_archive / "kbank").iterdir()) == ["00042.001", "00042.K01"]
    assert "реестр без контрольных итогов" in (day_quarantine / "kbank" / "00043.001.reason.txt").read_text("utf-8")
    by_file = {r["file"]: r for r in summary["registers"]}
    assert by_file["00043.001"]["status"] == "quarantined"
    assert by_file["reestr_519.txt"]["suspense_amount"] == "1500.00"

    engine = make_engine(config.database_url)
    with engine.connect() as conn:
        found = balances(conn)
        assert check_ledger(conn) == []
        value_date = conn.execute(sa.text(
            "SELECT e.value_date FROM ledger_entry e JOIN payment p ON p.id = e.payment_id"
            " WHERE p.operation_id = '9'")).scalar()  # fmt: skip
    # Held in suspense on the run date, never on its own future date; the suppliers get nothing of it.
    assert str(value_date) == RUN.isoformat()
    assert found["suspense"] == 10000 + 150000 + 5000  # the unknown account, the held payment, kbank's 00042
    assert found[f"supplier:{A}"] == 135000

    book = CalamineWorkbook.from_path(result["xlsx"])
    assert INBOX_TITLE in book.sheet_names
    dates = sheet_title(TITLES_RU[Code.DATE_OUT_OF_RANGE], Code.DATE_OUT_OF_RANGE.value)
    rows = book.get_sheet_by_name(dates).to_python()
    assert TARGET_HEADER in rows[0] and "найден ПД U1" in " ".join(str(c) for c in rows[1])
    html = Path(result["html"]).read_text(encoding="utf-8")
    assert "загрузка зависла" in html and "ждёт файл итогов" in html

    # The accountant accepts the payment: its ПД in the report, as for an unknown account.
    workbook = openpyxl.load_workbook(result["xlsx"])
    sheet = workbook[dates]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index(TARGET_HEADER) + 1, "U1")
    sheet.cell(2, header.index(RESOLVER_HEADER) + 1, "Петрова А. А.")
    held = int(sheet.cell(2, header.index(PAYMENT_ID_HEADER) + 1).value)
    workbook.save(config.resolutions_inbox / "accepted.xlsx")
    nightly(home=str(config.home), run_date=RUN + dt.timedelta(days=1))
    with engine.connect() as conn:
        after = balances(conn)
        entry = conn.execute(sa.text("SELECT value_date FROM ledger_entry WHERE kind = 'reclass' AND payment_id = :p"),
                             {"p": held}).scalar()  # fmt: skip
    engine.dispose()
    assert after["suspense"] == found["suspense"] - 150000
    assert after[f"supplier:{A}"] == found[f"supplier:{A}"] + 90000  # U1's split: 900 of 1500
    assert str(entry) == (RUN + dt.timedelta(days=1)).isoformat()


def test_meter_readings_are_stored_at_posting_and_reported(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("RKC_DATABASE_URL", raising=False)
    config, _ = _untidy_day(tmp_path)
    home, work_dir = str(config.home), str(config.home / "work" / RUN.isoformat())
    engine = make_engine(config.database_url)
    migrate(engine)
    scan = scan_inbox(config)
    register = config.inbox / "kbank" / "00042.001"
    with libraries_out_of_the_collector():  # the flow runs its tasks so (rkc.memory)
        intake = tasks.intake.fn(home, "kbank", str(register), work_dir, scan.totals[str(register)])
        # The parsers of registers with meter readings fill ``meters``; here they are written in by hand.
        payments = read_payments(intake["payments_path"])
        payments["meters"] = pd.Series([(("ХВС 123", "00451"), ("ГВС 9", "120,5")), None], dtype=object)
        write_payments(payments, Path(intake["payments_path"]))
        plan = tasks.decide.fn(home, [intake], work_dir, RUN)
        outcome = tasks.post_register.fn(home, intake, plan, RUN)
        assert outcome["status"] == "posted"
        result = tasks.report.fn(home, RUN, work_dir, {})
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT m.account, m.meter, m.value, p.operation_id FROM meter_reading m"
                                    " JOIN payment p ON p.id = m.payment_id ORDER BY m.id")).all()  # fmt: skip
    engine.dispose()
    assert [tuple(r) for r in rows] == [("9998", "ХВС 123", "00451", "K1"), ("9998", "ГВС 9", "120,5", "K1")]
    sheet = CalamineWorkbook.from_path(result["xlsx"]).get_sheet_by_name(METERS_TITLE).to_python()
    assert sheet[0][-2:] == ["Прибор учёта", "Показание"]
    assert [r[-2:] for r in sheet[1:]] == [["ХВС 123", "00451"], ["ГВС 9", "120,5"]]
    assert Path(outcome["stored_path"]).with_name("00042.K01").is_file()  # the totals file beside its register
