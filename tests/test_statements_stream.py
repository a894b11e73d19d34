"""Statements streamed by supplier: the files are those the whole-month renderer wrote (golden files
kept from it), whatever the groups, the batches the rows arrive in, or the processes; the groups
hold whole suppliers; a sheet too long for Excel continues on further sheets."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

import sql.statement_stream as stream
from reports.xlsx import Col, SheetSpec, split_sheet, write_workbook
from rkc.statements import _ranges, write_statements
from sql.reporting import supplier_movements
from sql.statement_stream import movement_groups
from tests.test_reports_statements import PERIOD, B, _ledger

GOLDEN = Path(__file__).parent / "golden_statements"  # written by the whole-month renderer (main, 4979097)
NAMES = {"sber": "ПАО Сбербанк", "portal": "Портал «Мой ЖКХ»"}
ZIP_STAMPED = {"docProps/core.xml"}  # creation time: the only part that differs between two writes


def _same_as_golden(out: Path) -> None:
    """Every file of ``out`` is the golden one: CSV and HTML byte for byte, XLSX part by part."""
    ours = sorted(p.relative_to(out) for p in (out / "statements").rglob("*") if p.is_file())
    golden = sorted(p.relative_to(GOLDEN) for p in GOLDEN.rglob("*") if p.is_file())
    assert ours == golden
    for rel in golden:
        if rel.suffix != ".xlsx":
            assert (out / rel).read_bytes() == (GOLDEN / rel).read_bytes(), rel
            continue
        with zipfile.ZipFile(out / rel) as a, zipfile.ZipFile(GOLDEN / rel) as b:
            assert a.namelist() == b.namelist(), rel
            for name in a.namelist():
                if name not in ZIP_STAMPED:
                    assert a.read(name) == b.read(name), (rel, name)


@pytest.fixture
def ledger(engine: sa.Engine) -> sa.Engine:
    _ledger(engine)
    return engine


def test_regenerate_golden(ledger: sa.Engine, tmp_path: Path) -> None:
    """``RKC_REGEN_GOLDEN=1`` (with main's code on PYTHONPATH) rewrites the golden files."""
    if os.environ.get("RKC_REGEN_GOLDEN") != "1":
        pytest.skip("golden files are regenerated on demand only")
    write_statements(ledger, PERIOD, tmp_path / "out", NAMES)
    shutil.rmtree(GOLDEN, ignore_errors=True)
    shutil.copytree(tmp_path / "out", GOLDEN)


@pytest.mark.parametrize("group_rows", [1, 2, 200_000])
def test_streamed_files_are_the_whole_month_renderers(ledger: sa.Engine, tmp_path: Path, group_rows: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    # Rows arrive one at a time: a supplier's movements span batches and groups close mid-stream.
    monkeypatch.setattr(stream, "_PARSE_BYTES", 1)
    monkeypatch.setattr(stream, "_SQLITE_ROWS", 1)
    written = write_statements(ledger, PERIOD, tmp_path / "out", NAMES, group_rows=group_rows)
    assert written == sorted(written, key=lambda p: p.parent.name)  # by inn, as before
    _same_as_golden(tmp_path / "out")


@pytest.mark.postgres
def test_worker_processes_write_the_same_files(pg_empty_url: str, tmp_path: Path) -> None:
    from sql.engine import make_engine, migrate

    engine = make_engine(pg_empty_url)
    try:
        migrate(engine)
        _ledger(engine)
        written = write_statements(engine, PERIOD, tmp_path / "out", NAMES, workers=2, parallel_postings=0,
                                   group_rows=1)  # fmt: skip
    finally:
        engine.dispose()
    assert len({p.parent.name for p in written}) == 3
    _same_as_golden(tmp_path / "out")


@pytest.mark.postgres
def test_workers_end_when_the_payments_cannot_be_read(pg_empty_url: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The workers read the month's payments a part each and wait for each other's: when one
    cannot write its part, the other stops waiting, the failure is what the user sees, and no
    worker process is left."""
    import multiprocessing
    import tempfile

    import rkc.statements as statements
    from sql.engine import make_engine, migrate

    class Blocked(tempfile.TemporaryDirectory):
        """The shared folder, where the first part's file cannot be written (a directory is in its way)."""

        def __enter__(self) -> str:
            folder = super().__enter__()
            (Path(folder) / "payments-000.arrow.partial").mkdir()
            return folder

    monkeypatch.setattr(statements.tempfile, "TemporaryDirectory", Blocked)
    engine = make_engine(pg_empty_url)
    try:
        migrate(engine)
        _ledger(engine)
        with pytest.raises(OSError, match="payments-000"):
            write_statements(engine, PERIOD, tmp_path / "out", NAMES, workers=2, parallel_postings=0)
    finally:
        engine.dispose()
    assert multiprocessing.active_children() == []


@pytest.mark.postgres
def test_workers_started_for_a_month_that_then_renders_alone(pg_empty_url: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """A month whose entries look large starts its workers before the balances are read; when its
    postings then fall below the threshold it renders in this process, and the workers end."""
    import multiprocessing

    import rkc.statements as statements
    from sql.engine import make_engine, migrate
    from sql.statement_spill import month_entries

    started: list[int] = []
    start = statements._started_pool
    monkeypatch.setattr(statements, "_started_pool", lambda n: started.append(n) or start(n))

    engine = make_engine(pg_empty_url)
    try:
        migrate(engine)
        _ledger(engine)
        with engine.connect() as conn:
            entries = month_entries(conn, PERIOD)
        assert entries is not None
        span = entries[1] - entries[0] + 1
        with engine.connect() as conn:
            march = "value_date >= '2026-03-01' AND value_date < '2026-04-01'"
            query = f"SELECT count(*) FROM ledger_posting WHERE account LIKE 'supplier:%' AND {march}"
            postings = int(conn.execute(sa.text(query)).scalar_one())
        assert postings < 2 * span  # the workers start (span ≥ threshold / 2), the month renders alone
        written = write_statements(engine, PERIOD, tmp_path / "out", NAMES, workers=2, parallel_postings=2 * span)
    finally:
        engine.dispose()
    assert started == [2]  # before the balances: the month looked large
    assert len({p.parent.name for p in written}) == 3
    assert multiprocessing.active_children() == []
    _same_as_golden(tmp_path / "out")


@pytest.mark.parametrize("group_rows", [1, 2, 3, 4, 100])
def test_groups_hold_whole_suppliers_and_every_movement(ledger: sa.Engine, group_rows: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(stream, "_PARSE_BYTES", 1)
    monkeypatch.setattr(stream, "_SQLITE_ROWS", 1)
    with ledger.connect() as conn:
        whole = supplier_movements(conn, PERIOD)
        groups = list(movement_groups(conn, PERIOD, rows=group_rows))
    seen: list[str] = []
    for group in groups[:-1]:
        assert len(group) >= group_rows
    for group in groups:
        inns = list(dict.fromkeys(group["inn"].astype(str)))
        assert not set(inns) & set(seen)  # no supplier in two groups
        seen += inns
    pd.testing.assert_frame_equal(pd.concat(groups, ignore_index=True), whole)


def test_a_range_of_suppliers(ledger: sa.Engine) -> None:
    with ledger.connect() as conn:
        whole = supplier_movements(conn, PERIOD)
        below = pd.concat(list(movement_groups(conn, PERIOD, upto=B)), ignore_index=True)
        above = pd.concat(list(movement_groups(conn, PERIOD, after=B)), ignore_index=True)
    assert set(below["inn"]) == {B} and set(above["inn"]) == set(whole["inn"]) - {B}
    assert len(below) + len(above) == len(whole)


@pytest.mark.parametrize(
    ("postings", "parts", "expected"),
    [
        ([10, 10, 10, 10], 2, [(None, "b"), ("b", None)]),
        ([10, 10, 10, 10], 4, [(None, "a"), ("a", "b"), ("b", "c"), ("c", None)]),
        ([100, 1, 1, 1], 2, [(None, "a"), ("a", None)]),
        ([1, 1, 1, 100], 2, [(None, None)]),  # the last supplier is the month: no split helps
        ([1, 1, 100, 1], 2, [(None, "c"), ("c", None)]),
        ([0, 0, 0, 0], 2, [(None, None)]),
        ([5], 2, [(None, None)]),
    ],
)
def test_ranges_cover_every_inn_by_postings(postings: list[int], parts: int, expected: list) -> None:
    suppliers = pd.DataFrame({"inn": list("abcd")[: len(postings)], "postings": postings})
    assert _ranges(suppliers, parts) == expected


def _spec(rows: int, tail: bool = True) -> SheetSpec:
    body = pd.DataFrame({"n": [f"r{i}" for i in range(rows)], "amount": [100 * i for i in range(rows)]})
    total = pd.DataFrame({"n": ["Итого"], "amount": [int(body["amount"].sum())]}) if tail else None
    return SheetSpec("Корректировки", [Col("Номер"), Col("Сумма", "money")], body, total)


@pytest.mark.parametrize(
    ("rows", "max_rows", "sheets"),
    [
        (3, 5, [["r0", "r1", "r2", "Итого"]]),
        (4, 5, [["r0", "r1", "r2", "r3"], ["Итого"]]),
        (7, 4, [["r0", "r1", "r2"], ["r3", "r4", "r5"], ["r6", "Итого"]]),
        (0, 2, [["Итого"]]),
    ],
)
def test_a_long_sheet_continues_on_numbered_sheets(tmp_path: Path, rows: int, max_rows: int,
                                                   sheets: list[list[str]]) -> None:  # fmt: skip
    path = write_workbook(tmp_path / "s.xlsx", [_spec(rows)], max_rows=max_rows)
    wb = load_workbook(path)
    titles = ["Корректировки"] + [f"Корректировки ({k})" for k in range(2, len(sheets) + 1)]
    assert wb.sheetnames == titles
    for ws, expected in zip(wb.worksheets, sheets, strict=True):
        assert [c.value for c in ws[1]] == ["Номер", "Сумма"]  # the header on every sheet
        assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == expected
        assert ws.max_row <= max_rows and ws.freeze_panes == "A2"


def test_split_titles_keep_excels_31_characters() -> None:
    spec = SheetSpec("Возвраты плательщикам за месяц", [Col("x")], pd.DataFrame({"x": list("abcde")}))
    titles = [s.title for s in split_sheet(spec, max_rows=2)]
    assert titles[0] == spec.title and titles[1] == "Возвраты плательщикам за ме (2)"
    assert all(len(t) <= 31 for t in titles) and len(set(titles)) == 5
    with pytest.raises(ValueError, match="cannot hold"):
        split_sheet(_spec(3), max_rows=2 - 1)


def test_statement_corrections_split_over_sheets(ledger: sa.Engine, tmp_path: Path) -> None:
    write_statements(ledger, PERIOD, tmp_path, sheet_rows=2)
    wb = load_workbook(tmp_path / "statements" / PERIOD / B / f"statement-{PERIOD}-{B}.xlsx")
    assert wb["Корректировки"]["B2"].value == "Разнесение невыясненного"
    assert wb["Корректировки (2)"]["B2"].value == "Итого"
    assert wb["Поступления по дням (2)"]["B2"].value == "Итого"  # B was paid on one day


def test_workers_end_when_their_caller_is_killed(tmp_path: Path) -> None:
    """A pool's worker waits for tasks forever once the process that started it is gone: the
    statements' workers watch their caller and end with it (a killed ``rkc statements``)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "caller.py"
    script.write_text(
        "import time\n"
        "from rkc.statements import _started_pool\n"
        "if __name__ == '__main__':\n"
        "    pool = _started_pool(2)\n"
        "    pool.executor.submit(time.sleep, 0).result()\n"
        "    while len(pool.executor._processes) < 2:\n"
        "        time.sleep(0.05)\n"
        "    print(*pool.executor._processes, flush=True)\n"
        "    time.sleep(600)\n",
        encoding="utf-8",
    )
    root = str(Path(__file__).resolve().parents[1])
    caller = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              cwd=root, env={**os.environ, "PYTHONPATH": root})  # fmt: skip
    try:
        workers = [int(pid) for pid in caller.stdout.readline().split()]  # type: ignore[union-attr]
        assert len(workers) == 2
        caller.send_signal(signal.SIGKILL)
        caller.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_running(pid) for pid in workers)
    finally:
        if caller.poll() is None:
            caller.kill()


def test_workers_keep_the_memory_they_free(tmp_path: Path) -> None:
    """The workers stream the month a batch at a time: Arrow's allocators in them keep freed pages
    for the next batch (``rkc.memory.children_keep_freed_memory``); the caller's environment is as
    it was."""
    import os

    from rkc.memory import KEEP_FREED_ARROW
    from rkc.statements import _started_pool

    before = dict(os.environ)
    pool = _started_pool(1)
    try:
        seen = {name: pool.executor.submit(os.getenv, name).result(timeout=120) for name in KEEP_FREED_ARROW}
    finally:
        pool.executor.shutdown()
    assert seen == {name: before.get(name, value) for name, value in KEEP_FREED_ARROW.items()}
    assert dict(os.environ) == before


def _running(pid: int) -> bool:
    """Whether the process ``pid`` exists and is not a zombie awaiting its reaper."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
