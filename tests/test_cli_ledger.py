"""The CLI of the foundation, end to end on SQLite and PostgreSQL: init, charges import,
ledger balances --json, ledger check (clean and corrupted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from rkc.cli import app
from sql.engine import make_engine
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import behind_the_ledgers_back, new_register, payment_frame, split_frame

DATA = Path(__file__).parent / "data" / "charges"


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    monkeypatch.delenv("RKC_HOME", raising=False)
    return tmp_path / "home"


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_init_creates_the_working_directory(home: Path) -> None:
    result = run("init", "--home", str(home))
    assert result.exit_code == 0, result.output
    for folder in ("inbox/sber", "inbox/portal", "inbox/gis", "inbox/statements", "inbox/resolutions",
                   "archive", "quarantine", "out"):  # fmt: skip
        assert (home / folder).is_dir(), folder
    assert "channels:" in (home / "rkc.yaml").read_text(encoding="utf-8")
    assert run("init", "--home", str(home)).exit_code == 0  # again: keeps the configuration


def test_charges_import_then_balances_and_check(home: Path, db_url: str) -> None:
    run("init", "--home", str(home))
    result = run("--home", str(home), "charges", "import", str(DATA / "charges_cp1251.csv"),
                 "--suppliers", str(DATA / "suppliers.csv"))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Imported 2 new and 0 corrected ПД" in result.output
    assert "charges_cp1251.csv:6: period must be YYYY-MM" in result.output

    engine = make_engine(db_url)
    with UnitOfWork(engine) as uow:
        payments = payment_frame([{"operation_id": "1", "amount": 150000, "commission": 1500},
                                  {"operation_id": "2", "amount": 777}])  # fmt: skip
        splits = split_frame([(0, "7707083893", "ЖКУ", 90000), (0, "7830002293", "Свет", 60000)])
        post_payments(uow.conn, new_register(uow.conn), payments, splits)
        uow.commit()

    result = run("ledger", "balances", "--json", "--home", str(home))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "agent:sber": "1492.77",
        "commission:sber": "15.00",
        "supplier:7707083893": "900.00",
        "supplier:7830002293": "600.00",
        "suspense": "7.77",
    }
    assert run("ledger", "check", "--home", str(home)).exit_code == 0

    with engine.begin() as conn, behind_the_ledgers_back(conn):  # corrupt: one leg changed behind its back
        conn.execute(sa.text("UPDATE ledger_posting SET amount = amount - 1 WHERE account = 'suspense'"))
    engine.dispose()
    result = run("ledger", "check", "--home", str(home))
    assert result.exit_code == 1
    assert "unbalanced_entry" in result.output and "balance_mismatch: suspense" in result.output


def test_missing_configuration_is_a_one_line_error(tmp_path: Path) -> None:
    result = run("ledger", "check", "--home", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "run `rkc init" in result.output


def test_missing_charges_file_is_a_one_line_error(home: Path) -> None:
    run("init", "--home", str(home))
    result = run("charges", "import", str(home / "missing.csv"), "--home", str(home))
    assert result.exit_code == 2 and "no such file" in result.output


def test_bridge_printout_carries_the_residual(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rkc import cli_flows
    from rkc.cli_flows import print_bridge

    monkeypatch.setattr(cli_flows.out, "width", 200)  # a wide terminal: no column is cut

    register = {"file": "r1.txt", "channel": "sber", "status": "posted", "amount_total": 10_000, "posted": 6_000,
                "suspense": 2_000, "rejected": 1_000, "duplicate": 1_000, "quarantined": 0}  # fmt: skip
    short = {**register, "file": "r2.txt", "amount_total": 11_000}  # 10,00 not placed
    print_bridge({"date": "2026-11-19", "registers": [register, short], "discrepancies": {}})
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.rstrip() for line in lines if line.strip() and line.split()[0] in ("1", "2", "Итого")}
    assert "Остаток" in "".join(lines) and rows["1"].split()[-1] == "0,00"
    assert rows["2"].split()[-1] == "10,00" and rows["Итого"].split()[-1] == "10,00"
    assert "  1. r1.txt — sber, проведён; прочее: невыясненные 20,00, отклонено 10,00, дубли 10,00" in lines


SETTINGS = [  # (setting, its default line, value written, accepted, Config attribute, refusal)
    *[("intake_workers", "intake_workers: 2", v, ok, "intake_workers", "intake_workers must be 1 or 2")
      for v, ok in [("1", True), ("2", True), ("0", False), ("3", False), ('"2"', False), ("true", False)]],
    *[("posting_workers", "posting_workers: 2", v, ok, "posting_workers", "posting_workers must be 1 or 2")
      for v, ok in [("1", True), ("2", True), ("0", False), ("3", False), ("yes", False)]],
    *[("report_html_rows", "report_html_rows: 1000", v, ok, "html_rows", "report_html_rows must be a whole number")
      for v, ok in [("1000", True), ("0", True), ("25", True), ("-1", False), ('"50"', False), ("false", False)]],
]  # fmt: skip


@pytest.mark.parametrize(("setting", "default", "value", "ok", "attribute", "refusal"), SETTINGS)
def test_numeric_settings(
    tmp_path: Path, setting: str, default: str, value: str, ok: bool, attribute: str, refusal: str
) -> None:
    from rkc.config import ConfigError, init_home, load_config

    home = tmp_path / "home"
    init_home(home)
    settings = home / "rkc.yaml"
    text = settings.read_text(encoding="utf-8")
    assert default in text
    settings.write_text(text.replace(default, f"{setting}: {value}"), encoding="utf-8")
    if ok:
        assert getattr(load_config(home), attribute) == int(value)
    else:
        with pytest.raises(ConfigError, match=refusal):
            load_config(home)
