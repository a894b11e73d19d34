"""`rkc payouts prepare` through its Prefect flow (SQLite and PostgreSQL): the day's files, then the
same date again, as the daily deployment runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from parsers.statement_1c import parse_payment_orders
from rkc.cli import app
from tests.payoututil import DAY, add_suppliers, make_inn, post, supplier


def test_prepare_from_the_command_line(harness, tmp_path: Path, db_url: str, engine: sa.Engine,  # type: ignore[no-untyped-def]
                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    home = tmp_path / "home"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--home", str(home)]).exit_code == 0
    add_suppliers(engine, [supplier(1, fee_percent="1"), supplier(2)])
    post(engine, [(make_inn(1), "ЖКУ", 100000), (make_inn(2), "ЖКУ", 5000)])
    runner.invoke(app, ["--home", str(home), "payouts", "hold", make_inn(2), "--reason", "сверка"])

    result = runner.invoke(app, ["--home", str(home), "payouts", "prepare", "--date", DAY.isoformat()])

    assert result.exit_code == 0, result.output
    assert "1 payment orders for 16.03.2026, 990,00 руб." in result.output.replace("\u00a0", " ")
    assert f"not paid: {make_inn(2)}" in result.output and "приостановлено бухгалтером: сверка" in result.output
    orders = home / "out" / DAY.isoformat() / "payouts" / f"payment-orders-{DAY}.txt"
    assert [(d.recipient_inn, d.amount) for d in parse_payment_orders(orders)] == [(make_inn(1), 99000)]
    assert (orders.parent / f"payouts-{DAY}.xlsx").is_file()
    again = runner.invoke(app, ["--home", str(home), "payouts", "prepare", "--date", DAY.isoformat()])
    assert again.exit_code == 0 and "prepared before" in again.output
