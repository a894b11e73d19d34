"""Every sheet of every workbook a night and its statements write prints: landscape, one page wide,
the header row on every page, the Итого rows bold. Read back with openpyxl."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

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


def test_every_workbook_of_a_demo_night_prints(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RKC_"))}
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
