"""Statements that close and the act of reconciliation (#18 item 6), on both databases: a month
with payments, the center's fee and a payout; every figure ties to the supplier's ledger account."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from openpyxl import load_workbook

from reports.act import Party
from rkc.payouts import prepare
from rkc.statements import write_acts, write_statements
from tests.payoututil import DAY, add_suppliers, balances, center, make_inn, post, supplier

A, B = make_inn(1), make_inn(2)
PERIOD = f"{DAY:%Y-%m}"


def _month(tmp_path: Path, engine: sa.Engine) -> Path:
    """A with a 1 % fee: 1 000,00 of ЖКУ and 200,00 of water; B 300,00 of ЖКУ; both paid out on DAY."""
    add_suppliers(engine, [supplier(1, fee_percent="1"), supplier(2)])
    post(engine, [(A, "ЖКУ", 100_000), (A, "Вода", 20_000), (B, "ЖКУ", 30_000)])
    prepare(center(tmp_path), engine, DAY)
    return tmp_path / "out"


def _rows(ws) -> list[tuple]:  # type: ignore[no-untyped-def, type-arg]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def test_statement_shows_collected_by_service_and_channel_fee_and_payouts(tmp_path: Path, engine: sa.Engine) -> None:
    out = _month(tmp_path, engine)
    write_statements(engine, PERIOD, out)
    folder = out / "statements" / PERIOD / A
    wb = load_workbook(folder / f"statement-{PERIOD}-{A}.xlsx")
    summary = {r[0]: r for r in _rows(wb["Выписка"])[1:]}
    assert summary["Поступило платежей"][2] == 2 and round(summary["Поступило платежей"][3] * 100) == 120_000
    assert round(summary["  в т.ч. по услуге «ЖКУ»"][3] * 100) == 100_000
    assert round(summary["  в т.ч. по услуге «Вода»"][3] * 100) == 20_000
    assert round(summary["Вознаграждение РКЦ"][3] * 100) == -1_200
    assert round(summary["Перечислено поставщику"][3] * 100) == -118_800
    assert round(summary["Исходящий остаток"][3] * 100) == balances(engine).get(f"supplier:{A}", 0) == 0
    payouts = _rows(wb["Перечисления"])
    assert payouts[0] == ("Дата", "Платёжное поручение", "Сумма")
    assert payouts[1][1].startswith("п/п № ") and round(payouts[1][2] * 100) == -118_800
    assert "Перечисления" in (folder / f"statement-{PERIOD}-{A}.html").read_text(encoding="utf-8")


def test_act_of_reconciliation_ties_to_the_ledger(tmp_path: Path, engine: sa.Engine) -> None:
    out = _month(tmp_path, engine)
    written = write_acts(engine, PERIOD, out, Party("ГУП «РКЦ»", "7700000000"))
    assert sorted(p.name for p in written) == sorted([f"act-{PERIOD}-{A}.xlsx", f"act-{PERIOD}-{B}.xlsx"])
    rows = _rows(load_workbook(out / "statements" / PERIOD / A / f"act-{PERIOD}-{A}.xlsx").active)
    assert rows[0][0] == "Акт сверки взаимных расчётов"
    assert "ГУП «РКЦ» (ИНН 7700000000)" in rows[2][0] and A in rows[2][0]
    body = {r[1]: r for r in rows if r[1]}
    assert (body["Сальдо начальное"][2], body["Сальдо начальное"][3]) == (None, 0)
    payments = next(r for r in rows if str(r[1]).startswith("Платежи населения"))
    assert payments[1] == "Платежи населения, 2 шт." and round(payments[3] * 100) == 120_000
    fee = next(r for r in rows if str(r[1]).startswith("вознаграждение РКЦ"))
    payout = next(r for r in rows if str(r[1]).startswith("п/п № "))
    assert (round(fee[2] * 100), round(payout[2] * 100)) == (1_200, 118_800)  # debits: what the center paid
    turnover = body["Обороты за период"]
    assert (round(turnover[2] * 100), round(turnover[3] * 100)) == (120_000, 120_000)
    assert any("взаимной задолженности нет" in str(r[0]) for r in rows)
    b_rows = _rows(load_workbook(out / "statements" / PERIOD / B / f"act-{PERIOD}-{B}.xlsx").active)
    assert any(str(r[1]).startswith("п/п № ") and round(r[2] * 100) == 30_000 for r in b_rows)
