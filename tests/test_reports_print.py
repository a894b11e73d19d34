"""Every sheet of every workbook a night and its statements write prints: landscape, one page wide,
the header row on every page, the Итого rows bold. Read back with openpyxl."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from reports.payout_notice import write_notices
from reports.xlsx import Col, SheetSpec, write_workbook

# Channel codes of the default rkc.yaml, formats, tie-out rules: never a cell's whole text.
INTERNAL = re.compile(r"(text|xlsx|dbf):\w+|gis_xml|number_date|purpose_amount|purpose|sber|portal|gis|rshb|online")


def _assert_prints(path: Path) -> int:
    """Check every sheet of ``path``; the number of Итого rows seen."""
    workbook = load_workbook(path)
    totals = 0
    for ws in workbook.worksheets:
        where = f"{path.name} «{ws.title}»"
        assert ws.page_setup.orientation == "landscape", where
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, where
        assert ws.sheet_properties.pageSetUpPr.fitToPage, where
        assert ws.print_title_rows == "$1:$1", where  # the header row on every page
        assert all(c.font.bold for c in ws[1] if c.value is not None), where
        for row in ws.iter_rows(min_row=2):
            if "Итого" in [c.value for c in row[:3]]:  # the label is in the first text column
                totals += 1
                assert all(c.font.bold for c in row if c.value is not None), f"{where} row {row[0].row}"
            else:
                assert not any(c.font.bold for c in row if c.value is not None), f"{where} row {row[0].row}"
    return totals


# Printed documents with a title above their table (openpyxl's ordinary workbook, reports/document_xlsx.py):
# the act of reconciliation, the payouts register and the payout notices.
DOCUMENTS = ("act-", "payouts-", "payout-")


def _assert_document_prints(path: Path) -> None:
    """A document: landscape, one page wide, its table's header row (bold) on every page, page numbers."""
    ws = load_workbook(path).active
    where = path.name
    assert ws.page_setup.orientation == "landscape", where
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, where
    assert ws.sheet_properties.pageSetUpPr.fitToPage, where
    head = int(ws.print_title_rows.split(":")[0].lstrip("$"))
    assert head > 1 and all(c.font.bold for c in ws[head] if c.value is not None), where
    assert "&P" in ws.oddFooter.center.text, where


def test_a_sheet_with_a_total_row(tmp_path: Path) -> None:
    body = pd.DataFrame({"a": ["x", "=1+1"], "n": [1, 2], "m": [12345, 100]})
    tail = pd.DataFrame({"a": ["Итого"], "n": [3], "m": [12445]})
    path = write_workbook(tmp_path / "t.xlsx", [SheetSpec("Лист", [Col("Имя"), Col("N", "int"), Col("Сумма", "money")],
                                                          body, tail)])  # fmt: skip
    assert _assert_prints(path) == 1
    ws = load_workbook(path).active
    assert ws["C4"].value == 124.45 and ws["C4"].number_format == "#,##0.00"  # bold keeps the money format
    assert ws["A3"].value == "=1+1" and ws["A3"].data_type == "s"  # still text, never a formula


def test_every_workbook_of_a_demo_night_prints(harness, tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RKC_"))}
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())  # the worker's server, not a server of its own
    home = tmp_path / "demo"
    done = subprocess.run([str(Path(sys.executable).parent / "rkc"), "demo", "--dir", str(home), "--accounts", "40",
                           "--payments", "150"], env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    workbooks = sorted((home / "out").rglob("*.xlsx"))
    assert any(p.name.startswith("discrepancies-") for p in workbooks)
    assert any(p.name.startswith("statement-") for p in workbooks)
    documents = [p for p in workbooks if p.name.startswith(DOCUMENTS)]
    for path in documents:
        _assert_document_prints(path)
    totals = sum(_assert_prints(p) for p in workbooks if p not in documents)
    assert totals >= 2, [p.name for p in workbooks]  # the summary's and the statements' Итого at least
    for path in workbooks:  # no internal word reaches a cell, and every parser's reason is in Russian
        for ws in load_workbook(path, read_only=True).worksheets:
            for value in (v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)):
                assert not INTERNAL.fullmatch(value), (path.name, ws.title, value)
                assert "(англ.)" not in value and not re.search(r"\d{4,}\.\d\d\b", value), (path.name, value)


@pytest.mark.parametrize("rows", [1, 3])
def test_no_total_row_no_bold(tmp_path: Path, rows: int) -> None:
    body = pd.DataFrame({"a": [f"r{i}" for i in range(rows)]})
    assert _assert_prints(write_workbook(tmp_path / "b.xlsx", [SheetSpec("Лист", [Col("Имя")], body)])) == 0


def test_payout_notices_print_and_keep_their_text_text(tmp_path: Path) -> None:
    """Notices spliced from one layout (``reports.payout_notice``): each prints as a document and
    carries its own supplier's values; text that looks like a formula stays text."""
    day = date(2026, 3, 16)

    def order(inn: str, number: str, amount: int, status: str, name: str, purpose: str = "Перечисление") -> dict:
        return {"number": number, "pay_date": day, "amount": amount, "purpose": purpose, "status": status,
                "recipient_name": name, "supplier_inn": inn, "recipient_kpp": "", "contract_no": "",
                "recipient_account": "40702810000000000001", "recipient_bic": "044525225"}  # fmt: skip

    notices = [(tmp_path / "a" / "payout-a.xlsx", [order("1", "7", 12345, "prepared", "ООО «А»", '=HYPERLINK("x")')]),
               (tmp_path / "b" / "payout-b.xlsx", [order("2", "8", 500, "cancelled", "ООО «Б» & <Ко>"),
                                                   order("2", "9", 100, "settled", "ООО «Б» & <Ко>")]),
               (tmp_path / "c" / "payout-c.xlsx", [order("3", "10", 1, "prepared", "ИП Третий")])]  # fmt: skip
    for path in write_notices(notices, day, "РКЦ"):
        _assert_document_prints(path)
    a = load_workbook(notices[0][0]).active
    assert a["A3"].value == "Получатель: ООО «А», ИНН 1"
    assert (a["D7"].value, a["D7"].data_type) == ('=HYPERLINK("x")', "s")  # never a formula
    assert (a["A7"].value, a["C7"].value, a["C8"].value, a["A8"].value) == ("7", 123.45, 123.45, "Итого перечислено")
    assert a["B7"].value.date() == day and a["C7"].number_format == "#,##0.00"
    b = [tuple(r) for r in load_workbook(notices[1][0]).active.iter_rows(min_row=7, values_only=True)]
    assert b[0][::2] == ("8", 5, "отменено") and b[2][:3] == ("Итого перечислено", None, 1)  # cancelled not counted
    assert load_workbook(notices[1][0]).active["A3"].value == "Получатель: ООО «Б» & <Ко>, ИНН 2"
    assert load_workbook(notices[2][0]).active["A3"].value == "Получатель: ИП Третий, ИНН 3"
