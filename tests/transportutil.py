"""Helpers for the collection and delivery tests: a working directory whose rkc.yaml carries the
test's sources, delivery and network settings."""

from __future__ import annotations

from pathlib import Path

import yaml

from rkc.config import Config, default_config_text, init_home, load_config

FAST = {"attempts": 2, "backoff_seconds": 0, "timeout_seconds": 10}


def make_home(home: Path, db_url: str, *, sources: dict[str, dict] | None = None, delivery: dict | None = None,
              network: dict | None = None) -> Config:  # fmt: skip
    """A working directory on ``db_url`` with ``sources`` (channel → source spec), ``delivery`` and
    ``network`` (quick retries by default) written into its rkc.yaml."""
    data = yaml.safe_load(default_config_text())
    data["database_url"] = db_url
    data["network"] = network or FAST
    for channel, spec in (sources or {}).items():
        data["channels"][channel]["source"] = spec
    if delivery is not None:
        data["delivery"] = delivery
    home.mkdir(parents=True, exist_ok=True)
    (home / "rkc.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    init_home(home)
    return load_config(home)
