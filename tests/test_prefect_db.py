"""A new home's Prefect database copied from the migrated empty one (``flows.prefect_db``): copied only
into a home without a database, never over one, not when Prefect is pointed elsewhere; and a flow
runs on a server started on the copy."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from flows.prefect_db import DATABASE_NAME, build_template, is_migrated, seed, template_path
from tests.test_early_server import CHILD, ROOT


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache holding a stand-in template (a finished migration's mark, nothing else)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("PREFECT_API_URL", "PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL"):
        monkeypatch.delenv(name, raising=False)
    template = template_path()
    assert template is not None and template.parent == tmp_path / "cache" / "rkc"
    template.parent.mkdir(parents=True)
    with sqlite3.connect(template) as db:
        db.execute("CREATE TABLE alembic_version (version_num TEXT)")
        db.execute("INSERT INTO alembic_version VALUES ('head')")
    return template


def test_a_new_home_gets_a_copy_and_a_home_with_a_database_keeps_its_own(cache: Path, tmp_path: Path) -> None:
    home = tmp_path / "home" / ".prefect"
    assert seed(home) is True
    assert (home / DATABASE_NAME).read_bytes() == cache.read_bytes() and is_migrated(home / DATABASE_NAME)
    assert sorted(p.name for p in home.iterdir()) == [DATABASE_NAME]  # no scratch left beside it
    (home / DATABASE_NAME).write_bytes(b"the home's own runs")
    assert seed(home) is False
    assert (home / DATABASE_NAME).read_bytes() == b"the home's own runs"


@pytest.mark.parametrize("setting", ["PREFECT_API_URL", "PREFECT_API_DATABASE_CONNECTION_URL"])
def test_nothing_is_copied_when_prefect_is_pointed_elsewhere(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    monkeypatch.setenv(setting, "postgresql+asyncpg://prefect@db/prefect")
    assert seed(tmp_path / "home") is False
    assert not (tmp_path / "home").exists()


def test_nothing_is_copied_without_a_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert seed(tmp_path / "home") is False
    assert not (tmp_path / "home").exists()


def test_a_file_that_is_no_finished_migration_is_no_template(cache: Path, tmp_path: Path) -> None:
    cache.write_bytes(b"half a database")
    assert not is_migrated(cache)
    assert seed(tmp_path / "home") is False


def test_a_flow_runs_on_the_server_of_a_seeded_home(tmp_path: Path) -> None:
    """The real template (built by scripts/setup.sh, or here): Prefect takes the copy as its own
    database, runs the flow on it and records the run there."""
    template = build_template()
    assert template is not None and is_migrated(template)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[1] == "5"
    revisions = []
    for path in (tmp_path / ".prefect" / DATABASE_NAME, template):
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            revisions.append(db.execute("SELECT version_num FROM alembic_version").fetchone())
            if path != template:
                assert db.execute("SELECT count(*) FROM flow_run").fetchone()[0] == 1
    assert revisions[0] == revisions[1]  # the copy was at head: nothing migrated
