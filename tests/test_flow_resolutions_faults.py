"""The accountants' files never block a night (SQLite and PostgreSQL): bad rows of a resolutions
workbook are refused one by one with their row and a Russian reason while the good row is applied;
ids beyond BIGINT never reach the driver; a row whose application fails rolls back alone; files
that are no readable workbook are quarantined with a reason; the next night runs clean and the
inbox is empty."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from domain.identifiers.row_id import MAX_ROW_ID
from reports.resolutions import ResolutionRequest
from reports.run_report import PAYMENT_ID_HEADER, RESOLVER_HEADER, TARGET_HEADER
from sql.engine import make_engine, migrate
from sql.entries import suspense_amount
from sql.ledger_queries import check_ledger
from tests.test_flow_nightly import _day

WHO = "Петрова А. А."
DAY = date(2026, 3, 16)
# (id cell, Russian reason expected in the note): appended below the report's own rows
BAD_ROWS = [
    (1e20, "вне допустимого диапазона"),  # twenty nines typed as a number arrive as a float
    ("9" * 20, "вне допустимого диапазона"),  # the workbook: OverflowError on SQLite before
    (str(MAX_ROW_ID + 1), "вне допустимого диапазона"),
    (-1, "больше нуля"),
    (0, "больше нуля"),
    (1.5, "не целое число"),
    ("abc", "не число"),
    (None, "пуст"),
]


def _resolve(report: Path, good_target: str, other_night_payment: int, out: Path) -> tuple[int, int, dict[int, str]]:
    """Fill the first unknown-account row with a good target, the second with a target that makes the
    application fail, and append the bad rows; return the two payment ids and the expected notes by row."""
    book = openpyxl.load_workbook(report)
    sheet = next(s for s in book.worksheets if TARGET_HEADER in [c.value for c in s[1]])
    header = [c.value for c in sheet[1]]
    pid, target, who = (header.index(h) + 1 for h in (PAYMENT_ID_HEADER, TARGET_HEADER, RESOLVER_HEADER))
    good, failing = int(sheet.cell(2, pid).value), int(sheet.cell(3, pid).value)
    for row, answer in ((2, good_target), (3, "BOOM")):
        sheet.cell(row, target, answer)
        sheet.cell(row, who, WHO)
    expected = {3: "RuntimeError"}
    row = sheet.max_row
    for cell, reason in [*BAD_ROWS, (other_night_payment, "не найден среди невыясненных")]:
        row += 1
        sheet.cell(row, pid, cell)
        sheet.cell(row, target, good_target)
        sheet.cell(row, who, WHO)
        expected[row] = reason
    book.save(out)
    return good, failing, expected


def _refused_files(folder: Path, tmp: Path) -> dict[str, str]:
    """A damaged workbook, a CSV named .xlsx and a workbook without the columns; their expected reasons."""
    good = openpyxl.Workbook()
    good.active.append(["ID", "ЛС", "Кто"])
    good.active.append([1, "U1", WHO])
    good.save(folder / "columns.xlsx")
    good.save(tmp / "whole.xlsx")
    data = (tmp / "whole.xlsx").read_bytes()
    (folder / "damaged.xlsx").write_bytes(data[: len(data) // 2])
    (folder / "csv.xlsx").write_text(
        f"{PAYMENT_ID_HEADER};{TARGET_HEADER};{RESOLVER_HEADER}\n1;U1;A\n", encoding="utf-8"
    )
    return {"columns.xlsx": "нет колонок", "damaged.xlsx": "повреждена", "csv.xlsx": "текстовый файл"}


def test_a_bad_workbook_never_blocks_a_night(harness, tmp_path, db_url, monkeypatch) -> None:
    import rkc.assign
    from flows.nightly import nightly

    config, day = _day(tmp_path / "home", db_url, monkeypatch)
    first = nightly(home=str(config.home), run_date=day.run_date)
    charges = day.charges_csv.read_bytes().decode("utf-8", errors="ignore").splitlines()
    known_account = next(line.split(";")[1] for line in charges[1:] if line)
    engine = make_engine(config.database_url)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM payment ORDER BY id"))]
        posted = next(i for i in ids if suspense_amount(conn, i) == 0)  # a payment the night split already

    inbox = config.resolutions_inbox
    inbox.mkdir(parents=True, exist_ok=True)
    good, failing, expected = _resolve(Path(first["xlsx"]), known_account, posted, inbox / "resolved.xlsx")
    refused = _refused_files(inbox, tmp_path)
    real_target = rkc.assign.target_document

    def target_document(conn, target):  # a bug or a database error on one row only
        if target == "BOOM":
            raise RuntimeError("simulated failure while applying one resolution")
        return real_target(conn, target)

    monkeypatch.setattr(rkc.assign, "target_document", target_document)
    second_day = day.run_date + timedelta(days=1)
    second = nightly(home=str(config.home), run_date=second_day)
    resolutions = json.loads(Path(second["summary"]).read_text(encoding="utf-8"))["resolutions"]

    assert resolutions["files"] == 4 and resolutions["applied"] == 1
    notes = {int(n.split(":")[1]): n for n in resolutions["rejected"]}
    assert set(notes) == set(expected)
    for row, reason in expected.items():
        assert reason in notes[row], notes[row]
    assert {q["file"]: q["reason"] for q in resolutions["quarantined"]}.keys() == refused.keys()
    for item in resolutions["quarantined"]:
        assert refused[item["file"]] in item["reason"]
        note = Path(item["stored_path"] + ".reason.txt").read_text(encoding="utf-8")
        assert refused[item["file"]] in note
        assert Path(item["stored_path"]).parent == config.quarantine / second_day.isoformat() / "resolutions"
    archived = config.archive / second_day.isoformat() / "resolutions" / "resolved.xlsx"
    assert archived.is_file() and "RuntimeError" in Path(str(archived) + ".reason.txt").read_text(encoding="utf-8")
    assert list(inbox.iterdir()) == []
    assert second["discrepancies"].get("BAD_FILE", 0) >= 3

    with engine.connect() as conn:
        resolved = {r[0] for r in conn.execute(sa.text("SELECT payment_id FROM resolution"))}
        assert resolved == {good}  # the failing row rolled back alone
        assert suspense_amount(conn, failing) > 0
        assert check_ledger(conn) == []

    third = nightly(home=str(config.home), run_date=second_day + timedelta(days=1))
    after = json.loads(Path(third["summary"]).read_text(encoding="utf-8"))["resolutions"]
    assert after == {"files": 0, "applied": 0, "rejected": [], "quarantined": []}
    engine.dispose()


@pytest.mark.parametrize("payment_id", [10**20, 2**63, 0, -1])
def test_an_id_beyond_the_database_is_refused_before_sql(engine, tmp_path, payment_id: int) -> None:
    """Whoever builds a request, the apply step judges its id before the driver sees it."""
    from rkc.resolve import _apply_guarded

    migrate(engine)
    request = ResolutionRequest(payment_id, "U1", WHO, "r.xlsx", 2)
    reason = _apply_guarded(engine, [request], "r.xlsx", DAY)  # one payment's rows
    assert reason is not None and "ID платежа" in reason and "Error" not in reason
