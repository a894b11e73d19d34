"""Reversals a user asks for (SQLite and PostgreSQL): a recalled register, one payment; never twice."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from rkc.cli import app
from rkc.payouts import prepare
from rkc.reverse import ReversalRefused, reverse_payment, reverse_register
from sql.entries import LedgerError, reclassify, reverse_entry
from sql.ledger_queries import check_ledger
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import new_register, payment_frame, split_frame
from tests.payoututil import DAY, add_suppliers, balances, center, make_inn, post, rows, supplier

A, B = make_inn(1), make_inn(2)


def payment_ids(engine: sa.Engine, register_id: int) -> list[int]:
    return rows(engine, "SELECT id FROM payment WHERE register_id = :r ORDER BY id", r=register_id)["id"].tolist()


def clean(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert check_ledger(conn) == []


def test_a_recalled_register_is_undone_entry_by_entry_once(engine: sa.Engine) -> None:
    add_suppliers(engine, [supplier(1), supplier(2)])
    rid = post(engine, [(A, "ЖКУ", 10000), (B, "ХВС", 2500)])
    keep = post(engine, [(A, "ЖКУ", 700)], name="other.txt", first=50)
    with UnitOfWork(engine) as uow:  # a suspense payment of the register, then reclassified by an accountant

        post_payments(uow.conn, rid, payment_frame([{"operation_id": "9", "amount": 400}]), split_frame([]))
        pid = int(uow.conn.execute(sa.text("SELECT id FROM payment WHERE operation_id = '9'")).scalar_one())
        reclassify(uow.conn, pid, pd.DataFrame({"supplier_inn": [B], "service": ["ХВС"], "amount": [400]}), on=DAY,
                   description="resolved")  # fmt: skip
        uow.commit()

    done = reverse_register(engine, rid, "агент отозвал реестр", DAY)

    assert done.entries == 4  # three payments and the reclassification
    money = balances(engine)
    assert (money[f"supplier:{A}"], money[f"supplier:{B}"], money["suspense"]) == (700, 0, 0)
    assert rows(engine, "SELECT status FROM register WHERE id = :r", r=rid)["status"][0] == "recalled"
    assert rows(engine, "SELECT status FROM register WHERE id = :r", r=keep)["status"][0] == "posted"
    reversals = rows(engine, "SELECT id, reverses_id, description FROM ledger_entry WHERE kind = 'reversal'")
    assert len(reversals) == 4 and reversals["description"].str.startswith("сторно: агент отозвал").all()
    clean(engine)
    with pytest.raises(ReversalRefused, match=rf"register {rid} was reversed already on 16.03.2026 \(reason: агент"):
        reverse_register(engine, rid, "ещё раз", DAY)
    with pytest.raises(ReversalRefused, match="no entry left to reverse"):
        reverse_payment(engine, payment_ids(engine, rid)[0], "и платёж", DAY)
    with UnitOfWork(engine) as uow, pytest.raises(LedgerError, match="itself a reversal"):
        reverse_entry(uow.conn, int(reversals["id"][0]), on=DAY, reason="x")
    assert len(rows(engine, "SELECT id FROM ledger_entry WHERE kind = 'reversal'")) == 4


def test_one_payment_reversed_once_with_its_reason(engine: sa.Engine) -> None:
    add_suppliers(engine, [supplier(1)])
    rid = post(engine, [(A, "ЖКУ", 10000), (A, "ЖКУ", 3000)])
    first = payment_ids(engine, rid)[0]
    assert reverse_payment(engine, first, "ошибочный платёж", DAY).entries == 1
    assert balances(engine)[f"supplier:{A}"] == 3000
    with pytest.raises(ReversalRefused, match=f"payment {first} was reversed already"):
        reverse_payment(engine, first, "ещё раз", DAY)
    with pytest.raises(ReversalRefused, match="no payment 999"):
        reverse_payment(engine, 999, "нет такого", DAY)
    with pytest.raises(ReversalRefused, match="needs a reason"):
        reverse_payment(engine, payment_ids(engine, rid)[1], "  ", DAY)
    clean(engine)


def test_a_register_recalled_after_its_payout_leaves_the_supplier_owing(tmp_path: Path, engine: sa.Engine) -> None:
    add_suppliers(engine, [supplier(1)])
    rid = post(engine, [(A, "ЖКУ", 10000)])
    config = center(tmp_path)
    prepare(config, engine, DAY)
    reverse_register(engine, rid, "отзыв", DAY)
    assert balances(engine)[f"supplier:{A}"] == -10000
    later = prepare(config, engine, DAY.replace(day=17))
    assert later.payouts == 0 and "сальдо -10" in later.skipped[0]["reason"].replace("\u00a0", "")
    clean(engine)


def test_a_register_not_posted_cannot_be_reversed(engine: sa.Engine) -> None:
    with UnitOfWork(engine) as uow:
        rid = new_register(uow.conn, "q.txt")
        uow.conn.execute(sa.text("UPDATE register SET status = 'quarantined' WHERE id = :r"), {"r": rid})
        uow.commit()
    with pytest.raises(ReversalRefused, match="is quarantined, not posted"):
        reverse_register(engine, rid, "отзыв", DAY)
    with pytest.raises(ReversalRefused, match="no register 4242"):
        reverse_register(engine, 4242, "отзыв", DAY)


def test_the_cli_reverses_once_and_refuses_the_second_time_in_one_line(
    tmp_path: Path, db_url: str, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    home = tmp_path / "home"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--home", str(home)]).exit_code == 0
    add_suppliers(engine, [supplier(1)])
    rid = post(engine, [(A, "ЖКУ", 10000)])

    result = runner.invoke(app, ["--home", str(home), "reverse", "register", str(rid), "--reason", "отзыв агентом"])
    assert result.exit_code == 0, result.output
    assert f"Register {rid}: 1 entries reversed." in result.output
    again = runner.invoke(app, ["--home", str(home), "reverse", "register", str(rid), "--reason", "ещё"])
    assert again.exit_code == 2 and "was reversed already" in again.output and "Traceback" not in again.output
    held = runner.invoke(app, ["--home", str(home), "payouts", "hold", A, "--reason", "проверка"])
    assert held.exit_code == 0 and "on hold" in held.output
    assert runner.invoke(app, ["--home", str(home), "payouts", "release", A, "--reason", "ok"]).exit_code == 0
    assert runner.invoke(app, ["--home", str(home), "payouts", "release", A, "--reason", "ok"]).exit_code == 2
    money = json.loads(runner.invoke(app, ["--home", str(home), "ledger", "balances", "--json"]).output)
    assert money[f"supplier:{A}"] == "0.00"
