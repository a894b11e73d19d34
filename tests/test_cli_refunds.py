"""``rkc refunds`` end to end on SQLite and PostgreSQL: asked as a workbench user, approved by a
second senior above the limit, refused, listed, cancelled; unknown users and bad input are one
line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from rkc.cli import app
from sql.engine import make_engine
from tests.payoututil import BIC, add_suppliers, make_inn, rows, supplier
from tests.refundutil import pay, payer_account, users


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A working directory whose refund limit is 100,00, a payment of 300,00 split to two suppliers."""
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    monkeypatch.delenv("RKC_HOME", raising=False)
    home = tmp_path / "home"
    assert run("init", "--home", str(home)).exit_code == 0
    with (home / "rkc.yaml").open("a", encoding="utf-8") as f:
        f.write('\nworkbench:\n  refund_limit: "100,00"\n')
    engine = make_engine(db_url)
    add_suppliers(engine, [supplier(1), supplier(2)])
    payment = pay(engine, [(make_inn(1), "ЖКУ", 20000), (make_inn(2), "ХВС", 10000)], op="77")
    users(engine)
    yield home, engine, payment
    engine.dispose()


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def request(home: Path, payment: int, *more: str):  # type: ignore[no-untyped-def]
    return run("--home", str(home), "refunds", "request", str(payment), "--name", "Иванов Иван Иванович",
               "--account", payer_account(1), "--bic", BIC, "--reason", "оплачено дважды", *more)  # fmt: skip


def test_request_approve_refuse_cancel_and_list(home) -> None:  # type: ignore[no-untyped-def]
    home, engine, payment = home
    small = request(home, payment, "--amount", "100,00", "--user", "petrova", "--date", "2026-03-16")
    assert small.exit_code == 0, small.output
    assert "refund 1: approved" in small.output and "проведён" in small.output
    big = request(home, payment, "--amount", "150,00", "--user", "petrova")
    assert big.exit_code == 0 and "refund 2: requested" in big.output
    own = run("--home", str(home), "refunds", "approve", "2", "--user", "petrova")
    assert own.exit_code == 2 and "только старший бухгалтер" in own.output
    approved = run("--home", str(home), "refunds", "approve", "2", "--user", "smirnov", "--date", "2026-03-17")
    assert approved.exit_code == 0 and "refund 2: approved" in approved.output
    rest = request(home, payment, "--user", "ivanova")  # no --amount: what is left, 50,00
    assert rest.exit_code == 0 and "на 50,00" in rest.output
    refused = request(home, payment, "--user", "ivanova")
    assert refused.exit_code == 2 and "уже возвращён полностью" in refused.output
    cancelled = run("--home", str(home), "refunds", "cancel", "3", "--reason", "ошибка", "--user", "ivanova",
                    "--date", "2026-03-18")  # fmt: skip
    assert cancelled.exit_code == 0 and "refund 3: cancelled" in cancelled.output
    waiting = request(home, payment, "--amount", "50,00", "--inn", "500100732259", "--user", "ivanova")
    assert "refund 4: approved" in waiting.output  # 50,00: within the limit
    listed = run("--home", str(home), "refunds", "list")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert [line.split(" | ")[:2] for line in lines] == [["1", "approved"], ["2", "approved"], ["3", "cancelled"],
                                                        ["4", "approved"]]  # fmt: skip
    assert "decided by smirnov" in lines[1] and payer_account(1) in lines[0]
    only = run("--home", str(home), "refunds", "list", "--status", "cancelled", "--payment", str(payment))
    assert [line.split(" | ")[0] for line in only.output.splitlines()] == ["3"]
    assert rows(engine, "SELECT COUNT(*) AS n FROM ledger_entry WHERE kind = 'refund'")["n"][0] == 4
    assert rows(engine, "SELECT inn FROM refund WHERE id = 4")["inn"][0] == "500100732259"
    # --date dates the entry: the request's, the approval's, the cancellation's reversal
    dated = rows(engine, "SELECT r.id, e.value_date, c.value_date AS cancelled FROM refund r JOIN ledger_entry e"
                         " ON e.id = r.entry_id LEFT JOIN ledger_entry c ON c.id = r.cancel_entry_id ORDER BY r.id")
    assert [str(d)[:10] for d in dated["value_date"][:2]] == ["2026-03-16", "2026-03-17"]
    assert str(dated["cancelled"][2])[:10] == "2026-03-18"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--amount", "сто", "--user", "petrova"), "--amount"),
        (("--user", "nobody"), "no enabled workbench user 'nobody'"),
        (("--user", "audit"), "Недостаточно прав"),
        (("--bic", "04452522", "--user", "petrova"), "БИК"),
        (("--user", "petrova", "--date", "16.03.2026"), "--date must be YYYY-MM-DD"),
    ],
)
def test_bad_requests_are_one_line_and_exit_2(home, args: tuple[str, ...], said: str) -> None:  # type: ignore[no-untyped-def]
    home, engine, payment = home
    result = request(home, payment, *args)
    assert result.exit_code == 2 and said in result.output and "Traceback" not in result.output
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM refund")).scalar() == 0
    assert run("--home", str(home), "refunds", "refuse", "1", "--note", "нет", "--user", "smirnov").exit_code == 2
    assert run("--home", str(home), "refunds", "list", "--status", "bogus").exit_code == 2
