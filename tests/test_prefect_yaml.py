"""prefect.yaml validated offline: entrypoints load, parameters validate, schedules parse."""

from __future__ import annotations

import importlib.util
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from prefect import Flow
from prefect.client.schemas.schedules import CronSchedule

ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENTS = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]


def _load_flow(entrypoint: str) -> Flow:
    path, name = entrypoint.split(":")
    spec = importlib.util.spec_from_file_location(f"entry_{Path(path).stem}", ROOT / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_entrypoint_loads_and_parameters_validate(deployment: dict) -> None:
    flow = _load_flow(deployment["entrypoint"])
    assert isinstance(flow, Flow)
    flow.validate_parameters(deployment.get("parameters") or {})


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_schedules_parse_and_pool_is_set(deployment: dict) -> None:
    for schedule in deployment["schedules"]:
        parsed = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
        assert parsed.timezone == "Europe/Moscow"
    assert deployment["work_pool"]["name"] == "rkc-process"
    env = deployment["work_pool"]["job_variables"]["env"]
    assert env["DO_NOT_TRACK"] == "1" and env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"


def test_nightly_runs_at_0230_moscow_one_at_a_time() -> None:
    nightly = next(d for d in DEPLOYMENTS if d["name"] == "nightly")
    assert nightly["concurrency_limit"] == 1
    from cronsim import CronSim

    start = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    nxt = next(CronSim(nightly["schedules"][0]["cron"], start))
    assert (nxt.day, nxt.hour, nxt.minute) == (24, 2, 30)


def test_no_absolute_paths() -> None:
    def strings(node: object):  # type: ignore[no-untyped-def]
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)

    text = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    assert not [s for s in strings(text) if s.startswith("/")]


def test_quiet_offline_sets_defaults_and_keeps_the_operators(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from flows.offline import quiet_offline

    for key in ("DO_NOT_TRACK", "PREFECT_SERVER_ANALYTICS_ENABLED", "PREFECT_HOME"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300")
    quiet_offline(tmp_path)
    assert os.environ["DO_NOT_TRACK"] == "1" and os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    assert os.environ["PREFECT_HOME"] == str(tmp_path / ".prefect")
    assert os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "300"  # the operator's value stays
    monkeypatch.delenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
    quiet_offline(tmp_path)
    assert int(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]) >= 60


def test_the_cli_settings_reach_prefect_itself(tmp_path: Path) -> None:
    """Prefect reads the environment when it is imported: the CLI's settings must be in place by
    then, or the process waits Prefect's default 20 s for its temporary server."""
    import subprocess
    import sys

    probe = (
        "import sys; from pathlib import Path; from rkc.cli_common import prefect_env; prefect_env(Path(sys.argv[1]));"
        " import flows.nightly; from prefect.settings import get_current_settings as s;"
        " print(s().home, s().server.ephemeral.startup_timeout_seconds)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], env=env, cwd=ROOT, capture_output=True,
                          text=True, check=True)  # fmt: skip
    home, timeout = done.stdout.split()
    assert Path(home) == tmp_path / ".prefect"
    assert int(timeout) >= 60


def test_collection_runs_before_the_night_and_delivery_after_the_statements() -> None:
    from cronsim import CronSim

    by_name = {d["name"]: d for d in DEPLOYMENTS}
    start = datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))

    def first(name: str) -> datetime:
        return next(CronSim(by_name[name]["schedules"][0]["cron"], start))

    assert first("collect") < first("nightly")
    assert first("monthly-statements") < first("deliver-statements")
    assert by_name["collect"]["concurrency_limit"] == by_name["deliver-statements"]["concurrency_limit"] == 1
