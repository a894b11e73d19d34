"""A generated night by method, on SQLite and PostgreSQL: every payment stored with its method, the sums
by method in run-summary.json, the report and the supplier statements tying to what was collected, a
method value the channel does not know reported with its payments (UNKNOWN_METHOD)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from domain.methods import LABELS_RU, PaymentMethod
from domain.money import parse_amount
from rkc.app import import_charges_files
from rkc.config import init_home, load_config
from rkc.statements import write_statements
from sql.engine import make_engine
from synthetic import generate


def _night(root: Path, db_url: str, monkeypatch: pytest.MonkeyPatch):
    """A generated day whose online channel no longer knows the value AUTOPAY."""
    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    config, _ = init_home(root)
    settings = root / "rkc.yaml"
    text = settings.read_text(encoding="utf-8")
    assert "AUTOPAY: autopay, " in text
    settings.write_text(text.replace("AUTOPAY: autopay, ", ""), encoding="utf-8")
    day = generate(config.home, accounts=150, payments=600, seed=5)
    import_charges_files(load_config(root), day.charges_csv, day.suppliers_csv)
    return load_config(root), day


def _autopay_lines(path: Path) -> tuple[int, int]:
    """How many lines of the online register say AUTOPAY, and their amount, read from the file itself."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("|")
    rows = [dict(zip(header, line.split("|"), strict=True)) for line in lines[1:]]
    autopay = [r for r in rows if r["method"] == "AUTOPAY"]
    return len(autopay), sum(parse_amount(r["amount"]) for r in autopay)


def test_a_night_by_method_ties_to_the_collected_money(harness, tmp_path: Path, db_url: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from flows.nightly import nightly

    config, day = _night(tmp_path / "home", db_url, monkeypatch)
    count, amount = _autopay_lines(next(p for p in day.registers if p.parent.name == "online"))  # before filing
    result = nightly(home=str(config.home), run_date=day.run_date)
    summary = json.loads(Path(result["summary"]).read_text(encoding="utf-8"))
    totals, by_method = summary["totals"], summary["by_method"]
    assert totals["residual"] == "0.00"

    # Every method the day's registers carry, but the autopay the online channel no longer knows.
    expected = {m.value for m in PaymentMethod} - {PaymentMethod.DIRECT_TRANSFER.value, PaymentMethod.AUTOPAY.value}
    assert set(by_method) == expected
    for field in ("posted", "suspense"):
        assert sum(parse_amount(m[field]) for m in by_method.values()) == parse_amount(totals[f"{field}_amount"])
    assert sum(parse_amount(m["amount"]) for m in by_method.values()) == (
        parse_amount(totals["posted_amount"]) + parse_amount(totals["suspense_amount"]))
    engine = make_engine(config.database_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT COUNT(*), COUNT(method) FROM payment")).one()
        unknown = conn.execute(sa.text("SELECT amount, detail FROM discrepancy WHERE code = 'UNKNOWN_METHOD'")).all()
        qr = conn.execute(sa.text("SELECT COUNT(*) FROM discrepancy WHERE code IN ('QR_MISMATCH', 'QR_UNREADABLE')"
                                  " AND payment_id IS NOT NULL")).scalar()  # fmt: skip
    assert stored[0] == stored[1] == sum(m["payments"] for m in by_method.values())  # each stored with its method
    assert qr >= 1  # the portal's scans of partial payments

    # The unknown value: one row with its payments' amount, taken as the channel's default.
    assert count > 0
    assert [(row.amount, row.detail) for row in unknown] == [
        (amount, f"способ оплаты «AUTOPAY» не известен каналу: платежей {count}, учтены как "
                 f"«{LABELS_RU[PaymentMethod.BANK_APP]}»")]  # fmt: skip
    assert summary["discrepancies"]["UNKNOWN_METHOD"] == 1

    # The report's sheet and the statements: each block sums to the total it breaks down.
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(result["xlsx"]).get_sheet_by_name("Способы оплаты").to_python()
    body, total = sheet[1:-1], sheet[-1]
    assert sorted(row[0] for row in body) == sorted(LABELS_RU[PaymentMethod(m)] for m in by_method)  # Russian only
    assert total[0] == "Итого" and round(total[4] * 100) == sum(parse_amount(m["amount"]) for m in by_method.values())
    written = write_statements(engine, day.run_date.strftime("%Y-%m"), config.out)
    engine.dispose()
    checked = 0
    for path in (p for p in written if p.suffix == ".xlsx"):
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Выписка").to_python()
        paid = next(r for r in rows if r[0] == "Поступило платежей")
        methods = [r for r in rows if str(r[0]).startswith("  в т.ч. способом")]
        channels = [r for r in rows if str(r[0]).startswith("  в т.ч. через")]
        if paid[2]:
            assert round(sum(r[3] for r in methods) * 100) == round(paid[3] * 100) == round(
                sum(r[3] for r in channels) * 100)
            assert sum(r[2] for r in methods) == paid[2]
            checked += 1
    assert checked >= 5
