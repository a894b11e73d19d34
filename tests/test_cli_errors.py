"""Bad input to the CLI is one line naming what is wrong and exit code 2, never a traceback: the
options, the configuration, paths, the database URL, a database that does not answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from rkc.cli import app
from synthetic import GenerateError, generate

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # nothing listens on port 1

CASES = [  # (id, arguments ({home} is an initialised working directory), database URL, words of the message)
    ("accounts too few", ["generate", "--dir", "{tmp}/g", "--accounts", "2"], None, "--accounts"),
    ("payments too few", ["generate", "--dir", "{tmp}/g", "--payments", "5"], None, "--payments"),
    ("demo payments too few", ["demo", "--dir", "{tmp}/d", "--payments", "5"], None, "--payments"),
    ("generate into a file", ["generate", "--dir", "{tmp}/a-file"], None, "a file, not a directory"),
    ("demo into a file", ["demo", "--dir", "{tmp}/a-file"], None, "a file, not a directory"),
    ("init into a file", ["init", "--home", "{tmp}/a-file"], None, "a file, not a directory"),
    ("run date", ["run", "--date", "2026-13-01", "--home", "{home}"], None, "--date must be YYYY-MM-DD"),
    ("statements period", ["statements", "--period", "2026-13", "--home", "{home}"], None, "--period must be YYYY-MM"),
    ("no configuration", ["run", "--home", "{tmp}/nowhere"], None, "run `rkc init"),
    ("charges file missing", ["charges", "import", "{tmp}/none.csv", "--home", "{home}"], None, "no such file"),
    ("URL not a URL", ["ledger", "balances", "--home", "{home}"], "not a url", "database URL"),
    ("URL of no driver", ["ledger", "check", "--home", "{home}"], "foo://x", "database URL"),
    ("MySQL: ledger", ["ledger", "check", "--home", "{home}"], "mysql://u:secret@127.0.0.1/rkc",
     "unsupported database 'mysql'"),
    ("MySQL: run", ["run", "--home", "{home}"], "mysql+pymysql://u@127.0.0.1/rkc", "unsupported database 'mysql'"),
    ("MySQL: charges", ["charges", "import", "{home}/rkc.yaml", "--home", "{home}"], "mysql://u@127.0.0.1/rkc",
     "rkc runs on SQLite"),
    ("database down: ledger", ["ledger", "check", "--home", "{home}"], UNREACHABLE, "does not answer"),
    ("SQLite in no folder", ["ledger", "check", "--home", "{home}"], "sqlite:////no/such/folder/rkc.db",
     "does not answer"),
    ("database down: run", ["run", "--home", "{home}"], UNREACHABLE, "does not answer"),
    ("payouts date", ["payouts", "prepare", "--date", "2026-02-30", "--home", "{home}"], None,
     "--date must be YYYY-MM-DD"),
    ("database down: payouts", ["payouts", "prepare", "--home", "{home}"], UNREACHABLE, "does not answer"),
    ("reverse without a reason", ["reverse", "payment", "1", "--home", "{home}"], None, "--reason"),
    ("hold of an unknown supplier", ["payouts", "hold", "7707083893", "--reason", "x", "--home", "{home}"], None,
     "not in the suppliers directory"),
    ("database down: statements", ["statements", "--period", "2026-10", "--home", "{home}"], UNREACHABLE,
     "does not answer"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "url", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], url: str | None, words: str
) -> None:
    monkeypatch.delenv("RKC_DATABASE_URL", raising=False)
    monkeypatch.delenv("RKC_HOME", raising=False)
    home = tmp_path / "home"
    assert CliRunner().invoke(app, ["init", "--home", str(home)], catch_exceptions=False).exit_code == 0
    (tmp_path / "a-file").write_text("not a directory", encoding="utf-8")
    if url:
        monkeypatch.setenv("RKC_DATABASE_URL", url)
    argv = [a.format(tmp=tmp_path, home=home) for a in args]
    result = CliRunner().invoke(app, argv, catch_exceptions=False)  # an exception would fail the test here
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output
    assert not list(tmp_path.rglob(".prefect"))  # refused before Prefect was started


@pytest.mark.parametrize(("accounts", "payments"), [(4, 1000), (100, 19)])
def test_the_generator_refuses_before_writing_anything(tmp_path: Path, accounts: int, payments: int) -> None:
    with pytest.raises(GenerateError, match="need at least"):
        generate(tmp_path / "day", accounts=accounts, payments=payments)
    assert not (tmp_path / "day").exists()


def test_a_failure_once_the_work_has_started_keeps_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database error inside the work may be a bug (a wrong query): it is not turned into one line.
    import sqlalchemy as sa

    import sql.ledger_queries

    monkeypatch.delenv("RKC_DATABASE_URL", raising=False)
    home = tmp_path / "home"
    assert CliRunner().invoke(app, ["init", "--home", str(home)], catch_exceptions=False).exit_code == 0

    def broken(conn):
        raise sa.exc.OperationalError("SELECT nothing FROM nowhere", {}, Exception("no such column: nothing"))

    monkeypatch.setattr(sql.ledger_queries, "check_ledger", broken)
    result = CliRunner().invoke(app, ["ledger", "check", "--home", str(home)])
    assert isinstance(result.exception, sa.exc.OperationalError) and result.exit_code == 1
