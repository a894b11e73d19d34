"""``executor:`` of rkc.yaml: local by default (the README's commands are unchanged), a Dask cluster
by address or by a number of local workers, and never a Dask night on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rkc.config import ConfigError, init_home, load_config
from rkc.config_executor import Executor, ExecutorKind

PG = "postgresql://rkc@db.example/rkc"


def _home(tmp_path: Path, executor: str | None, monkeypatch: pytest.MonkeyPatch, url: str | None = PG) -> Path:
    if url is None:
        monkeypatch.delenv("RKC_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("RKC_DATABASE_URL", url)
    home = tmp_path / "home"
    init_home(home)
    if executor is not None:
        with (home / "rkc.yaml").open("a", encoding="utf-8") as settings:
            settings.write(f"\nexecutor: {executor}\n")
    return home


def test_absent_is_the_flows_own_thread_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(_home(tmp_path, None, monkeypatch, url=None))
    assert config.executor == Executor() and not config.executor.on_cluster
    assert "executor" not in yaml.safe_load((config.home / "rkc.yaml").read_text(encoding="utf-8"))  # only a comment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{kind: local}", Executor()),
        ("{kind: dask, address: 'tcp://10.0.0.5:8786'}", Executor(ExecutorKind.DASK, "tcp://10.0.0.5:8786")),
        ("{kind: dask, address: 'tls://sched.rkc.example:8786'}", Executor(ExecutorKind.DASK, "tls://sched.rkc.example:8786")),
        ("{kind: dask, local_workers: 2}", Executor(ExecutorKind.DASK, local_workers=2)),
    ],
)  # fmt: skip
def test_kinds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: Executor) -> None:
    config = load_config(_home(tmp_path, text, monkeypatch))
    assert config.executor == expected
    assert config.executor.on_cluster == (expected.kind == "dask")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dask", "executor must be a mapping"),
        ("{kind: ray}", "executor.kind must be `local` or `dask`"),
        ("{kind: dask}", "either address .* or local_workers"),
        ("{kind: dask, address: 'tcp://h:8786', local_workers: 2}", "not both"),
        ("{kind: dask, address: 'h:8786'}", "executor.address must be a scheduler address"),
        ("{kind: dask, local_workers: 0}", "local_workers must be a whole number ≥ 1"),
        ("{kind: dask, local_workers: true}", "local_workers must be a whole number ≥ 1"),
        ("{kind: local, local_workers: 2}", "belong to kind: dask"),
        ("{kind: dask, local_workers: 2, threads: 4}", "unknown keys threads"),
    ],
)  # fmt: skip
def test_mistakes_name_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(_home(tmp_path, text, monkeypatch))


def test_a_dask_night_on_sqlite_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One writer, and a file the machines of a cluster cannot share: every command says so.
    home = _home(tmp_path, "{kind: dask, local_workers: 2}", monkeypatch, url=None)
    with pytest.raises(ConfigError, match="executor kind dask needs PostgreSQL"):
        load_config(home)
    monkeypatch.setenv("RKC_DATABASE_URL", PG)  # the environment's database counts, as everywhere
    assert load_config(home).executor.local_workers == 2
