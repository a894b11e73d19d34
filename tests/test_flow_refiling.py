"""Files that come back: an unreadable file sent again to the right inbox, a register committed but
not filed away when its run died, a duplicate file whose filing is retried."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from sql.engine import make_engine
from tests.test_flow_nightly import _day, _ledger


def _registers(config) -> dict[str, tuple]:
    engine = make_engine(config.database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT file, id, status, stored_path FROM register")).all()
    engine.dispose()
    return {file: (rid, status, stored) for file, rid, status, stored in rows}


def test_a_file_in_the_wrong_inbox_is_read_again_from_the_right_one(
    harness, tmp_path, db_url, monkeypatch, reference_night
) -> None:
    from flows.nightly import nightly

    config, day = _day(tmp_path / "home", db_url, monkeypatch)
    portal = next((config.inbox / "portal").iterdir())
    shutil.move(portal, config.inbox / "gis" / portal.name)  # dropped into the wrong channel's inbox

    first = nightly(home=str(config.home), run_date=day.run_date)
    assert ("gis", "bad_file") in [(s["channel"], s["status"]) for s in first["skipped"]]
    refused_id, status, stored = _registers(config)[portal.name]
    assert status == "bad_file" and Path(stored).is_file()

    shutil.move(stored, config.inbox / "portal" / portal.name)  # the operator puts it where it belongs
    second = nightly(home=str(config.home), run_date=day.run_date + timedelta(days=1))
    assert second["posted_this_run"] == [portal.name]
    register_id, status, stored = _registers(config)[portal.name]
    assert (register_id, status) == (refused_id, "posted") and Path(stored).is_file()  # the row taken over
    balances, violations, _ = _ledger(config)
    assert violations == [] and balances == reference_night[0]


def test_a_quarantined_register_recovered_after_a_crash_goes_to_quarantine(
    harness, tmp_path, db_url, monkeypatch
) -> None:
    import rkc.commit
    from flows.nightly import nightly

    config, day = _day(tmp_path / "home", db_url, monkeypatch)
    real = rkc.commit.file_away

    def dies_filing_the_quarantined(source, folder, reason):
        if reason:  # the register whose footer does not tie
            raise RuntimeError("killed after the commit, before filing")
        return real(source, folder, reason)

    monkeypatch.setattr(rkc.commit, "file_away", dies_filing_the_quarantined)
    with pytest.raises(RuntimeError, match="killed after the commit"):
        nightly(home=str(config.home), run_date=day.run_date)
    monkeypatch.setattr(rkc.commit, "file_away", real)
    (name,) = [f for f, (_, status, stored) in _registers(config).items() if status == "quarantined"]
    assert _registers(config)[name][2] is None  # committed, never filed

    rerun = nightly(home=str(config.home), run_date=day.run_date)
    assert [(s["file"], s["status"]) for s in rerun["skipped"]] == [(name, "recovered")]
    stored = Path(_registers(config)[name][2])
    assert stored.parent == config.quarantine / day.run_date.isoformat() / "sber"
    assert stored.with_name(stored.name + ".reason.txt").is_file()
    assert name in [r["file"] for r in rerun["registers"] if r["status"] == "quarantined"]


def test_a_duplicate_file_whose_report_failed_is_filed_on_the_retry(harness, tmp_path, db_url, monkeypatch) -> None:
    import sql.discrepancies  # where the commit writes its discrepancies
    from flows.nightly import nightly

    config, day = _day(tmp_path / "home", db_url, monkeypatch)
    nightly(home=str(config.home), run_date=day.run_date)
    archived = next((config.archive / day.run_date.isoformat() / "sber").iterdir())
    shutil.copy(archived, config.inbox / "sber" / archived.name)  # sent again
    real, failed = sql.discrepancies.bulk_insert, []

    def fails_once(conn, table, rows, columns):
        if table == "discrepancy" and "DUPLICATE_FILE" in set(rows["code"]) and not failed:
            failed.append(table)
            raise OSError("the database's disk is full")
        return real(conn, table, rows, columns)

    monkeypatch.setattr(sql.discrepancies, "bulk_insert", fails_once)
    again = nightly(home=str(config.home), run_date=day.run_date)  # the task is retried: the file is gone by then
    assert failed and [s["status"] for s in again["skipped"]] == ["duplicate_file"]
    assert Path(again["skipped"][0]["stored_path"]).is_file()
    assert again["discrepancies"]["DUPLICATE_FILE"] == 1


def test_the_same_file_in_a_wrong_inbox_and_the_right_one(
    harness, tmp_path, db_url, monkeypatch, reference_night
) -> None:
    # portal/ sorts before sber/: the wrong channel's copy is read and refused; the right copy goes
    # to quarantine beside it (not to the archive), and put back into its inbox it is read.
    from flows.nightly import nightly

    config, day = _day(tmp_path / "home", db_url, monkeypatch)
    right = sorted((config.inbox / "sber").iterdir())[1]
    shutil.copy(right, config.inbox / "portal" / right.name)

    first = nightly(home=str(config.home), run_date=day.run_date)
    statuses = {(s["channel"], s["file"]): s["status"] for s in first["skipped"]}
    assert statuses == {("portal", right.name): "bad_file", ("sber", right.name): "duplicate_file"}
    kept = config.quarantine / day.run_date.isoformat() / "sber" / right.name
    assert kept.is_file() and "inbox/sber/" in kept.with_name(kept.name + ".reason.txt").read_text("utf-8")
    assert [b["channel"] for b in json.loads(Path(first["summary"]).read_text("utf-8"))["bad_files"]] == ["portal"]

    shutil.move(kept, config.inbox / "sber" / right.name)
    second = nightly(home=str(config.home), run_date=day.run_date + timedelta(days=1))
    assert second["posted_this_run"] == [right.name]
    balances, violations, _ = _ledger(config)
    assert violations == [] and balances == reference_night[0]


def test_a_refused_file_does_not_count_as_stored_for_a_killed_runs_plan(engine) -> None:
    from datetime import date

    from sql.registers import create_register, stored_files

    with engine.begin() as conn:
        create_register(conn, file="a.txt", sha256="a" * 64, channel="sber", fmt="text", run_date=date(2026, 11, 20),
                        status="bad_file", reason="unreadable")  # fmt: skip
        create_register(conn, file="b.txt", sha256="b" * 64, channel="sber", fmt="text", run_date=date(2026, 11, 20),
                        status="posted")  # fmt: skip
        assert stored_files(conn, {"a" * 64, "b" * 64, "c" * 64}) == {"b" * 64}


def _killed_after_the_move(harness, config, day, monkeypatch) -> tuple[str, Path]:
    """Run the night with the first posted register's filing killed just after its move: the file is
    in the archive, its register has no path. Returns that register's file name and where it went."""
    import rkc.commit
    from flows.nightly import nightly

    real, moved = rkc.commit.file_away, []

    def dies_after_moving(source, folder, reason):
        target = real(source, folder, reason)
        if not reason and not moved:
            moved.append((source.name, target))
            raise RuntimeError("killed after the move, before recording it")
        return target

    monkeypatch.setattr(rkc.commit, "file_away", dies_after_moving)
    with pytest.raises(RuntimeError, match="killed after the move"):
        nightly(home=str(config.home), run_date=day.run_date)
    monkeypatch.setattr(rkc.commit, "file_away", real)
    ((name, archived),) = moved
    _, status, stored = _registers(config)[name]
    assert status == "posted" and stored is None  # committed and moved, never recorded
    assert archived.is_file() and archived.parent.parent == config.archive / day.run_date.isoformat()
    return name, archived


def test_a_copy_of_a_file_filed_by_a_killed_run_is_a_duplicate(harness, tmp_path, db_url, monkeypatch) -> None:
    from flows.nightly import nightly

    config, day = _day(tmp_path / "home", db_url, monkeypatch)
    name, archived = _killed_after_the_move(harness, config, day, monkeypatch)
    shutil.copy(archived, config.inbox / archived.parent.name / name)  # the agent sends it again before the next run

    rerun = nightly(home=str(config.home), run_date=day.run_date + timedelta(days=1))
    assert (name, "duplicate_file") in [(s["file"], s["status"]) for s in rerun["skipped"]]
    assert "recovered" not in [s["status"] for s in rerun["skipped"]]
    assert _registers(config)[name][2] == str(archived)  # the record repaired, pointing at the original
    copy = Path(next(s["stored_path"] for s in rerun["skipped"] if s["file"] == name))
    assert copy != archived and copy.is_file() and archived.is_file()
    assert rerun["discrepancies"]["DUPLICATE_FILE"] == 1
    _, violations, _ = _ledger(config)
    assert violations == []


def test_the_next_run_records_where_a_killed_run_filed_a_register(harness, tmp_path, db_url, monkeypatch) -> None:
    from flows.nightly import nightly

    config, day = _day(tmp_path / "home", db_url, monkeypatch)
    name, archived = _killed_after_the_move(harness, config, day, monkeypatch)
    rerun = nightly(home=str(config.home), run_date=day.run_date)  # nothing of that file left in the inbox
    assert name not in [s["file"] for s in rerun["skipped"]]
    assert _registers(config)[name][2] == str(archived)
    assert name in [r["file"] for r in rerun["registers"] if r["status"] == "posted"]


def test_repair_finds_the_file_by_content_not_by_name(engine, tmp_path) -> None:
    from datetime import date
    from types import SimpleNamespace

    from parsers.base import file_sha256
    from rkc.filing import repair_filing
    from sql.registers import create_register

    config = SimpleNamespace(archive=tmp_path / "archive", quarantine=tmp_path / "quarantine")  # what repair reads
    folder = config.archive / "2026-11-20" / "sber"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("another night's a.txt\n")  # same name, other content
    (folder / "a.1.txt").write_text("the register\n")  # file_away added a counter
    sha = file_sha256(folder / "a.1.txt")
    with engine.begin() as conn:
        rid = create_register(conn, file="a.txt", sha256=sha, channel="sber", fmt="text", run_date=date(2026, 11, 20),
                              status="posted")  # fmt: skip
        lost = create_register(conn, file="b.txt", sha256="b" * 64, channel="sber", fmt="text",
                               run_date=date(2026, 11, 20), status="posted")  # fmt: skip
    assert repair_filing(config, engine) == [(rid, folder / "a.1.txt")]
    with engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT id, stored_path FROM register")).all())
    assert rows == {rid: str(folder / "a.1.txt"), lost: None}  # not found: left for intake to recover
    assert repair_filing(config, engine) == []  # nothing left to repair
