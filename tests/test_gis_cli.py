"""`rkc gis export` and `rkc gis answers load` from the command line, and the gis-export flow's
function, on a generated night (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flows.gis import gis_export
from parsers.gis_xsd import NS_PAYMENT
from rkc.cli import app
from tests.gisexportutil import answer, night, validate_all


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_export_and_answers_from_the_command_line(tmp_path, db_url, xsd_dir, monkeypatch) -> None:
    config, day, _ = night(tmp_path / "home", db_url, xsd_dir, monkeypatch)
    home, when = str(config.home), day.run_date.isoformat()
    first = run("gis", "export", "--date", when, "--home", home)
    assert first.exit_code == 0, first.output
    assert "written" in first.output and "извещение ещё не принято" in first.output
    out = config.out / when / "gis"
    counts = validate_all(out, xsd_dir)
    assert counts["SupplierNotificationOfOrderExecution"] > 0

    # the flow exports the same date: nothing new, the same files
    result = gis_export.fn(run_date=when, home=home)
    assert result["written"] == [] and sum(result["new_items"].values()) == 0
    assert sorted(result["files"]) == sorted(p.name for p in out.glob("*.xml"))

    refused = tmp_path / "refused.xml"
    refused.write_bytes(answer(NS_PAYMENT, [], message_error=("FMT001", "Ошибка формата")))
    loaded = run("gis", "answers", "load", str(refused), "--home", home)
    assert loaded.exit_code == 1 and "FMT001" in loaded.output

    broken = tmp_path / "broken.xml"
    broken.write_text("<notxml", encoding="utf-8")
    assert run("gis", "answers", "load", str(broken), "--home", home).exit_code == 2
    assert run("gis", "export", "--date", "20.11.2026", "--home", home).exit_code == 2


def test_export_without_a_schema_directory_is_one_line(tmp_path: Path, db_url: str, monkeypatch) -> None:
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    assert run("init", "--home", str(tmp_path / "home")).exit_code == 0
    result = run("gis", "export", "--date", "2026-11-20", "--home", str(tmp_path / "home"))
    assert result.exit_code == 2 and "gis_xsd_dir" in result.output
