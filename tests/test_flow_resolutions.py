"""The accountants' round trip: unknown payment → report → the accountant fills the column → next
run → money on the supplier's account, suspense reduced, the resolution recorded; a resolution
naming an unknown account is rejected and changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import openpyxl
import sqlalchemy as sa

from reports.run_report import PAYMENT_ID_HEADER, RESOLVER_HEADER, TARGET_HEADER
from sql.engine import make_engine
from sql.ledger_queries import balances, check_ledger
from tests.test_flow_nightly import _day


def _fill(report: Path, answers: list[str], target: Path) -> list[int]:
    """Type targets into the unknown-account rows as an accountant would; return their payment ids."""
    book = openpyxl.load_workbook(report)
    for sheet in book.worksheets:
        header = [c.value for c in sheet[1]]
        if TARGET_HEADER not in header:  # the unknown-account sheet comes first of those that have it
            continue
        pid_col, target_col, who_col = (header.index(h) + 1 for h in (PAYMENT_ID_HEADER, TARGET_HEADER,
                                                                        RESOLVER_HEADER))  # fmt: skip
        filled = []
        for row, answer in zip(range(2, sheet.max_row + 1), answers, strict=False):
            sheet.cell(row, target_col, answer)
            sheet.cell(row, who_col, "Петрова А. А.")
            filled.append(int(sheet.cell(row, pid_col).value))
        book.save(target)
        return filled
    raise AssertionError("no sheet with the resolution columns")


def test_resolution_round_trip(harness, tmp_path, db_url, monkeypatch) -> None:
    from flows.nightly import nightly

    config, day = _day(tmp_path / "home", db_url, monkeypatch)
    first = nightly(home=str(config.home), run_date=day.run_date)
    assert first["discrepancies"].get("UNKNOWN_ACCOUNT", 0) >= 2
    charges = (day.charges_csv.read_bytes().decode("utf-8", errors="ignore") or "").splitlines()
    known_account = next(line.split(";")[1] for line in charges[1:] if line)
    engine = make_engine(config.database_url)
    with engine.connect() as conn:
        before = balances(conn)

    config.resolutions_inbox.mkdir(parents=True, exist_ok=True)
    resolved, bogus = _fill(Path(first["xlsx"]), [known_account, "999999999999"],
                            config.resolutions_inbox / "resolved.xlsx")  # fmt: skip
    second = nightly(home=str(config.home), run_date=day.run_date + timedelta(days=1))
    summary = json.loads(Path(second["summary"]).read_text(encoding="utf-8"))
    assert summary["resolutions"]["applied"] == 1
    assert any("999999999999" in r for r in summary["resolutions"]["rejected"])

    with engine.connect() as conn:
        after = balances(conn)
        amount = conn.execute(sa.text("SELECT amount FROM payment WHERE id = :p"), {"p": resolved}).scalar()
        row = conn.execute(sa.text("SELECT resolved_by, source_file FROM resolution WHERE payment_id = :p"),
                           {"p": resolved}).one()  # fmt: skip
        version = conn.execute(sa.text(  # the reclassification names the ПД version it split by
            "SELECT e.document_version FROM resolution r JOIN ledger_entry e ON e.id = r.entry_id"
            " WHERE r.payment_id = :p"), {"p": resolved}).scalar()  # fmt: skip
        assert version == 1
        rejected = conn.execute(sa.text("SELECT COUNT(*) FROM resolution WHERE payment_id = :p"), {"p": bogus})
        assert rejected.scalar() == 0
        assert check_ledger(conn) == []
    engine.dispose()
    assert after["suspense"] == before["suspense"] - amount
    suppliers = lambda b: sum(v for k, v in b.items() if k.startswith("supplier:"))  # noqa: E731
    assert suppliers(after) == suppliers(before) + amount
    assert tuple(row) == ("Петрова А. А.", "resolved.xlsx")
    assert list((config.archive / (day.run_date + timedelta(days=1)).isoformat() / "resolutions").glob("*.xlsx"))
