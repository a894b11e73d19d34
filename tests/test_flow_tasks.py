"""The flows' parts on their own: each nightly task's function called directly, without Prefect;
the retry rule; the bridge artifact's rows; the charges and statements flows run alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from domain.money import format_amount
from flows import night_artifacts
from flows import nightly as tasks
from flows.common import retry_on_io
from rkc.app import import_charges_files
from rkc.config import init_home, load_config
from rkc.intake import collect_inbox
from rkc.memory import libraries_out_of_the_collector
from sql.engine import make_engine, migrate
from sql.ledger_queries import check_ledger
from synthetic import generate


def _day(root: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("RKC_DATABASE_URL", raising=False)
    config, _ = init_home(root)
    day = generate(config.home, accounts=150, payments=600, seed=7)
    import_charges_files(config, day.charges_csv, day.suppliers_csv)
    return config, day


def test_the_nightly_tasks_called_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, day = _day(tmp_path / "home", monkeypatch)
    home, work_dir = str(config.home), str(config.home / "work" / day.run_date.isoformat())
    engine = make_engine(config.database_url)
    migrate(engine)

    with libraries_out_of_the_collector():  # the flow runs its tasks so (rkc.memory)
        intakes = [tasks.intake.fn(home, channel, str(path), work_dir) for channel, path in collect_inbox(config)]
        assert {i["status"] for i in intakes} >= {"parsed"} and all(Path(i["path"]).is_file() for i in intakes)
        plan = tasks.decide.fn(home, intakes, work_dir)
        assert Path(plan["work_dir"]).is_dir() and set(plan["quarantined"]) <= {i["sha256"] for i in intakes}
        outcomes = [tasks.post_register.fn(home, i, plan, day.run_date) for i in intakes]
        assert {o["status"] for o in outcomes} <= {"posted", "quarantined", "bad_file"}
        assert all(Path(o["stored_path"]).is_file() for o in outcomes)  # filed away: archive or quarantine
        tie = tasks.tie.fn(home, day.run_date)
        assert tie["statements"] == 1
        assert tasks.resolutions.fn(home, day.run_date)["files"] == 0
        result = tasks.report.fn(home, day.run_date, work_dir, {})

    summary = json.loads(Path(result["summary"]).read_text(encoding="utf-8"))
    expected = json.loads(day.manifest.read_text(encoding="utf-8"))["expected"]
    assert summary["totals"]["residual"] == "0.00"
    assert summary["totals"]["amount_total"] == format_amount(expected["amount_total"])
    assert summary["totals"]["posted_amount"] == format_amount(expected["posted_amount"])
    assert Path(result["xlsx"]).is_file() and Path(result["html"]).is_file()
    with engine.connect() as conn:
        assert check_ledger(conn) == []
    engine.dispose()


RETRIES = [  # (what the task raised, retried?)
    (OSError("disk full"), True),
    (FileNotFoundError("gone"), True),
    (sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection")), True),
    (ValueError("a parsed register needs the night's plan"), False),
    (sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key")), False),
    (KeyError("amount"), False),
]


@pytest.mark.parametrize(("error", "retried"), RETRIES, ids=[type(e).__name__ for e, _ in RETRIES])
def test_only_io_is_retried(error: BaseException, retried: bool) -> None:
    class State:
        data = error

    assert retry_on_io(None, None, State()) is retried  # type: ignore[arg-type]


def test_the_bridge_artifact_has_residuals_and_a_total() -> None:
    registers = [
        {"file": "a.txt", "channel": "sber", "status": "posted", "amount_total": 10_000, "posted": 7_000,
         "suspense": 1_000, "rejected": 1_000, "duplicate": 1_000, "quarantined": 0},
        {"file": "b.xlsx", "channel": "portal", "status": "quarantined", "amount_total": 2_50, "posted": 0,
         "suspense": 0, "rejected": 0, "duplicate": 0, "quarantined": 2_50},
    ]  # fmt: skip
    rows = night_artifacts.bridge_rows(registers, {"sber": "ПАО Сбербанк"})
    assert [r["Файл"] for r in rows] == ["a.txt", "b.xlsx", "Итого"]
    assert [r["Канал"] for r in rows[:2]] == ["ПАО Сбербанк (sber)", "portal"]
    assert [r["Статус"] for r in rows[:2]] == ["проведён", "карантин"]
    assert [r["Остаток"] for r in rows] == ["0,00", "0,00", "0,00"]
    assert rows[-1]["Поступило"] == "102,50" and rows[-1]["Проведено"] == "70,00"
    big = night_artifacts.bridge_rows([{**registers[0], "amount_total": 584_444_208, "posted": 584_441_208}])
    assert big[0]["Поступило"] == "5\u00a0844\u00a0442,08"
    short = night_artifacts.bridge_rows([{**registers[0], "posted": 6_000}])
    assert short[0]["Остаток"] == short[-1]["Остаток"] == "10,00"


def test_charges_and_statements_flows_alone(harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.artifacts import Artifact

    from flows.charges import charges_import
    from flows.statements import supplier_statements

    monkeypatch.delenv("RKC_DATABASE_URL", raising=False)
    config, _ = init_home(tmp_path / "home")
    day = generate(config.home, accounts=150, payments=600, seed=7)
    imported = charges_import(charges=day.charges_csv.name, suppliers=day.suppliers_csv.name,
                              home=str(config.home))  # fmt: skip  # paths relative to the working directory
    assert imported["documents_new"] > 0 and imported["rejected"] == 0 and imported["suppliers"] > 0
    night = tasks.nightly(home=str(config.home), run_date=day.run_date)
    bridge = Artifact.get("nightly-bridge")
    counts = Artifact.get("nightly-discrepancies")
    task_names = _task_names_of_the_latest_flow_run()  # the worker's Prefect server serves every flow test
    period = day.run_date.strftime("%Y-%m")
    written = supplier_statements(period=period, home=str(config.home))
    assert bridge is not None and counts is not None
    rows = json.loads(bridge.data) if isinstance(bridge.data, str) else bridge.data
    files = {r["file"] for r in night["registers"]}
    assert {f"intake: {f}" for f in files} <= task_names and {f"post_register: {f}" for f in files} <= task_names
    assert rows[-1]["Файл"] == "Итого" and rows[-1]["Остаток"] == "0,00"
    assert len(rows) == len(night["registers"]) + 1
    assert "Не найден ПД / лицевой счёт (UNKNOWN_ACCOUNT)" in counts.data and night["xlsx"] in counts.data
    assert "Расхождения за" in counts.data and "Отчёт:" in counts.data
    assert written["period"] == period and written["files"]
    assert all(Path(f).is_file() and Path(f).is_relative_to(config.out / "statements" / period)
               for f in written["files"])  # fmt: skip
    assert len(load_config(config.home).channels) >= 3
    signed = json.loads((config.out / "statements" / period / "manifest.json").read_text(encoding="utf-8"))["body"]
    assert signed["kind"] == "statements" and len(signed["outputs"]) == len(written["files"])


def _task_names_of_the_latest_flow_run() -> set[str]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        latest = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)[0]
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[latest.id])))
    return {run.name for run in runs}
