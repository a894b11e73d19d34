"""Commands that only read never create the rkc schema: pointed at a database without it (an admin
database, a wrong URL) they say so in one line and leave it as it was; `rkc db upgrade` creates it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from rkc.cli import app
from sql.engine import make_engine

READ_ONLY = [["ledger", "balances"], ["ledger", "check"], ["ledger", "verify"], ["qr", "00000000000000000000000001"]]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database that answers and has no tables at all, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    from tests.conftest import PG_ADMIN_URL, _pg_unavailable

    name = f"rkc_empty_{os.getpid()}"
    try:
        admin = sa.create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"),
                                 isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        _pg_unavailable(str(exc).splitlines()[0])
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _tables(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        return sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", READ_ONLY, ids=[" ".join(c[:2]) for c in READ_ONLY])
def test_a_read_only_command_creates_no_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_url: str, command: list[str]
) -> None:
    home = tmp_path / "home"
    monkeypatch.delenv("RKC_DATABASE_URL", raising=False)
    assert CliRunner().invoke(app, ["init", "--home", str(home)]).exit_code == 0  # its own SQLite
    monkeypatch.setenv("RKC_DATABASE_URL", empty_url)
    result = CliRunner().invoke(app, [*command, "--home", str(home)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "no rkc schema in" in result.output and "run rkc init or rkc db upgrade" in result.output
    assert "Traceback" not in result.output
    assert _tables(empty_url) == []


def test_db_upgrade_creates_the_schema_then_reads_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_url: str
) -> None:
    home = tmp_path / "home"
    monkeypatch.delenv("RKC_DATABASE_URL", raising=False)
    assert CliRunner().invoke(app, ["init", "--home", str(home)]).exit_code == 0
    monkeypatch.setenv("RKC_DATABASE_URL", empty_url)
    upgraded = CliRunner().invoke(app, ["db", "upgrade", "--home", str(home)], catch_exceptions=False)
    assert upgraded.exit_code == 0, upgraded.output
    assert "schema at revision" in upgraded.output
    assert "alembic_version" in _tables(empty_url) and "ledger_entry" in _tables(empty_url)
    checked = CliRunner().invoke(app, ["ledger", "check", "--home", str(home)], catch_exceptions=False)
    assert checked.exit_code == 0, checked.output


def test_a_schema_behind_the_code_asks_for_an_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sql.engine import migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    migrate(engine, "0001")  # the first revision only
    engine.dispose()
    home = tmp_path / "home"
    monkeypatch.delenv("RKC_DATABASE_URL", raising=False)
    assert CliRunner().invoke(app, ["init", "--home", str(home)]).exit_code == 0
    monkeypatch.setenv("RKC_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["ledger", "balances", "--home", str(home)], catch_exceptions=False)
    assert result.exit_code == 2 and "run rkc db upgrade" in result.output, result.output


def test_init_creates_the_folders_the_deployments_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    monkeypatch.delenv("RKC_DATABASE_URL", raising=False)
    home = tmp_path / "home"
    assert CliRunner().invoke(app, ["init", "--home", str(home)]).exit_code == 0
    root = Path(__file__).resolve().parents[1]
    deployments = yaml.safe_load((root / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
    named = [v for d in deployments for v in (d.get("parameters") or {}).values() if isinstance(v, str) and "/" in v]
    assert named  # the charges import names its files
    for value in named:
        assert (home / value).parent.is_dir(), value
