"""The cash bridge (#18 item 7): the center's account by its statements and by the ledger.

Rules table-driven on figures; then the night's tie-out on both databases with statements in
sequence (they tie), with a day missing (CASH_BRIDGE_MISMATCH of the gap), and the report's sheet.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from domain.cashbridge import BankFigures, CashBridge
from reports.run_report import RunReportData, write_run_report
from rkc.config import init_home
from rkc.tie import tie_out

CENTER = "40702810900000000001"  # rkc init's center.bank_account
SBER = ("30101810400000000225", "ПАО Сбербанк", "7707083893")  # a configured agent (channel sber)
STRANGER = ("40817810000000000777", "Иванов Иван Иванович", "")

BASE = BankFigures(account=CENTER, first_date=date(2026, 11, 20), opening=100_000, last_date=date(2026, 11, 20),
                   closing=112_000, received=15_000, received_count=2, paid_out=3_000, paid_out_count=1,
                   unposted_received=5_000, unposted_received_count=1, unposted_paid_out=3_000,
                   unposted_paid_out_count=1, ledger_balance=10_000)  # fmt: skip

# (case, change to the figures, statement difference, ledger difference)
RULES = [
    ("ties both ways", {}, 0, 0),
    ("a day's statement missing: the latest closes higher", {"closing": 120_000}, -8_000, 0),
    ("a debit stored twice", {"paid_out": 6_000, "unposted_paid_out": 6_000, "paid_out_count": 2}, -3_000, 0),
    ("the ledger's bank account moved without a document", {"ledger_balance": 9_000}, 0, -1_000),
    ("a receipt posted that no statement lists", {"ledger_balance": 12_000}, 0, 2_000),
    ("a settled payout", {"unposted_paid_out": 0, "ledger_balance": 7_000}, 0, 0),
]  # fmt: skip


@pytest.mark.parametrize(("case", "change", "statements", "ledger"), RULES, ids=[r[0] for r in RULES])
def test_bridge_rules(case: str, change: dict, statements: int, ledger: int) -> None:
    bridge = CashBridge(replace(BASE, **change))
    assert (bridge.statement_difference, bridge.ledger_difference) == (statements, ledger), case
    assert [amount for _, amount in bridge.findings()] == [d for d in (statements, ledger) if d]
    lines = {label: amount for label, _, amount in bridge.lines()}
    assert lines["Расхождение: документы и остаток выписки"] == statements
    assert lines["Расхождение: учёт и документы"] == ledger


def _doc(number: str, amount: str, day: str, payer: tuple[str, str, str], incoming: bool = True) -> str:
    account, name, inn = payer
    if incoming:
        return (f"СекцияДокумент=Платежное поручение\nНомер={number}\nДата={day}\nСумма={amount}\n"
                f"ПлательщикСчет={account}\nПлательщик={name}\nПлательщикИНН={inn}\nПолучательСчет={CENTER}\n"
                f"Получатель=РКЦ\nДатаПоступило={day}\nНазначениеПлатежа=Оплата {number}\nКонецДокумента\n")
    return (f"СекцияДокумент=Платежное поручение\nНомер={number}\nДата={day}\nСумма={amount}\n"
            f"ПлательщикСчет={CENTER}\nПлательщик=РКЦ\nПолучательСчет={account}\nПолучатель={name}\n"
            f"ПолучательБИК=044525225\nДатаСписано={day}\nНазначениеПлатежа=Оплата {number}\n"
            "КонецДокумента\n")  # fmt: skip


def _statement(day: str, opening: str, incoming: str, outgoing: str, closing: str, docs: str) -> bytes:
    text = ("1CClientBankExchange\nВерсияФормата=1.03\nКодировка=Windows\nОтправитель=Банк-клиент\n"
            f"ДатаСоздания={day}\nДатаНачала={day}\nДатаКонца={day}\nСекцияРасчСчет\nДатаНачала={day}\n"
            f"ДатаКонца={day}\nРасчСчет={CENTER}\nНачальныйОстаток={opening}\nВсегоПоступило={incoming}\n"
            f"ВсегоСписано={outgoing}\nКонечныйОстаток={closing}\nКонецРасчСчет\n{docs}КонецФайла\n")  # fmt: skip
    return text.replace("\n", "\r\n").encode("cp1251")


FIRST = _statement("20.11.2026", "1000.00", "150.00", "30.00", "1120.00",
                   _doc("11", "100.00", "20.11.2026", SBER) + _doc("12", "50.00", "20.11.2026", STRANGER)
                   + _doc("13", "30.00", "20.11.2026", STRANGER, incoming=False))  # fmt: skip


def _mismatches(engine: sa.Engine, night: date) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT detail, amount FROM discrepancy WHERE run_date = :d AND code = 'CASH_BRIDGE_MISMATCH'"),
            {"d": night}).all()]  # fmt: skip


def test_statements_in_sequence_tie_and_a_missing_day_is_reported(tmp_path: Path, engine: sa.Engine) -> None:
    config, _ = init_home(tmp_path / "home")
    (config.statements_inbox / "v1.txt").write_bytes(FIRST)
    summary = tie_out(config, engine, date(2026, 11, 20))

    bridge = summary.cash_bridge
    assert bridge is not None
    assert (bridge["opening"], bridge["received"], bridge["paid_out"], bridge["closing"]) == (100_000, 15_000, 3_000,
                                                                                            112_000)  # fmt: skip
    # the agent's п/п is posted; the stranger's receipt and the debit without an order are not
    unposted = (bridge["unposted_received"], bridge["unposted_paid_out"], bridge["ledger_balance"])
    assert unposted == (5_000, 3_000, 10_000)
    assert (bridge["statement_difference"], bridge["ledger_difference"]) == (0, 0)
    assert _mismatches(engine, date(2026, 11, 20)) == []

    # The statement of the 21st never came: the 22nd opens at what the 21st closed at.
    (config.statements_inbox / "v3.txt").write_bytes(
        _statement("22.11.2026", "1200.00", "10.00", "0.00", "1210.00", _doc("31", "10.00", "22.11.2026", SBER)))
    again = tie_out(config, engine, date(2026, 11, 22)).cash_bridge
    assert again is not None and (again["statement_difference"], again["ledger_difference"]) == (-8_000, 0)
    [(detail, amount)] = _mismatches(engine, date(2026, 11, 22))
    assert amount == -8_000
    assert "20.11.2026" in detail and "22.11.2026" in detail and "не хватает выписки" in detail

    # A rerun of the night reports the state once.
    tie_out(config, engine, date(2026, 11, 22))
    assert len(_mismatches(engine, date(2026, 11, 22))) == 1


def test_no_statement_no_bridge(tmp_path: Path, engine: sa.Engine) -> None:
    config, _ = init_home(tmp_path / "home")
    assert tie_out(config, engine, date(2026, 11, 20)).cash_bridge is None


def test_the_report_has_the_bridge_sheet(tmp_path: Path) -> None:
    empty = pd.DataFrame()
    registers = pd.DataFrame(columns=["register_id", "file", "channel", "format", "status", "records", "payments",
                                      "non_payment_lines", "rejected_lines", "amount_total", "posted", "suspense",
                                      "rejected", "duplicate", "quarantined", "residual"])  # fmt: skip
    data = RunReportData(date(2026, 11, 22), registers, empty, empty, empty,
                         cash_bridge=CashBridge(replace(BASE, closing=120_000)).lines())  # fmt: skip
    xlsx, html = write_run_report(data, tmp_path)
    rows = list(load_workbook(xlsx)["Остаток банка"].iter_rows(min_row=2, values_only=True))
    assert rows[0][0] == "Входящий остаток на 20.11.2026 (первая выписка)"
    assert rows[5][:2] == ("Расхождение: документы и остаток выписки", None) and rows[5][2] == -80
    assert "Остаток банка" in html.read_text(encoding="utf-8")
