"""The XLSX skeleton reused per workbook shape: each workbook keeps its own widths, autofilter and
time, whatever was written before; ISO dates parsed by Arrow as pandas parses them."""

from __future__ import annotations

import dataclasses
import re
import warnings
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from reports import xlsx_skeleton
from reports.render import date_text
from reports.xlsx import Col, SheetSpec, write_workbook
from reports.xlsx_values import date_days

COLUMNS = [Col("Имя"), Col("Сумма", "money"), Col("Ширина", width=12.5)]


def _sheets(names: list[str], rows: int) -> list[SheetSpec]:
    body = pd.DataFrame(
        {"name": names * rows, "amount": [100] * (len(names) * rows), "w": [None] * (len(names) * rows)}
    )
    return [SheetSpec("Лист", COLUMNS, body), SheetSpec("Другой", COLUMNS[:2], body.iloc[:1, :2])]


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def test_a_workbook_is_the_same_whether_its_skeleton_was_cached_or_not(tmp_path: Path) -> None:
    write_workbook(tmp_path / "a.xlsx", _sheets(["x"], 3))  # same shape, other widths and rows
    cached = write_workbook(tmp_path / "b.xlsx", _sheets(["очень длинное имя поставщика"], 7))
    xlsx_skeleton._CACHE.clear()
    fresh = write_workbook(tmp_path / "c.xlsx", _sheets(["очень длинное имя поставщика"], 7))
    assert _parts(cached) == _parts(fresh)
    assert _parts(cached) != _parts(tmp_path / "a.xlsx")


def test_each_workbook_gets_its_own_widths_and_filter(tmp_path: Path) -> None:
    write_workbook(tmp_path / "a.xlsx", _sheets(["x"], 3))
    wb = load_workbook(write_workbook(tmp_path / "b.xlsx", _sheets(["очень длинное имя поставщика"], 7)))
    first, second = wb["Лист"], wb["Другой"]
    assert first.column_dimensions["A"].width == len("очень длинное имя поставщика") + 2
    assert first.column_dimensions["C"].width == 12.5
    assert first.auto_filter.ref == "A1:C8"
    assert second.auto_filter.ref == "A1:B2"
    assert first.dimensions == "A1:C8"


def test_a_workbook_is_stamped_when_written_not_when_its_skeleton_was(tmp_path: Path) -> None:
    write_workbook(tmp_path / "a.xlsx", _sheets(["x"], 1))
    for key, bones in xlsx_skeleton._CACHE.items():  # as if the skeleton had been saved long ago
        old = tuple((n, i, re.sub(rb"\d{4}-\d\d-\d\dT", b"2000-01-01T", d)) for n, i, d in bones.parts)
        xlsx_skeleton._CACHE[key] = dataclasses.replace(bones, parts=old)
    created = load_workbook(write_workbook(tmp_path / "b.xlsx", _sheets(["x"], 1))).properties.created
    assert created is not None and abs((created - datetime.now(UTC).replace(tzinfo=None)).total_seconds()) < 600


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["2026-02-01", None, "2026-02-28"], dtype="str"),
        pd.Series([None, None], dtype=object),
        pd.Series([date(2026, 1, 5), None], dtype=object),
        pd.Series(["2026-02-29", "2026-02-01"]),  # not a date: pandas' path, as before
        pd.Series(["2026-02-01 10:00:00"]),
        pd.Series(pd.to_datetime(["2026-03-01", None])),
        pd.Series(["2026-02-01", ""]),
        pd.Series([datetime(2026, 1, 5, 10, 1)], dtype=object),
    ],
)
@pytest.mark.filterwarnings("ignore:Could not infer format")
def test_dates_as_pandas_reads_them(values: pd.Series) -> None:
    with warnings.catch_warnings():  # pandas warns when it cannot infer a format: the old path, as it was
        warnings.simplefilter("ignore", UserWarning)
        expected = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce").to_numpy("datetime64[D]")
    assert np.array_equal(date_days(values), expected, equal_nan=True)
    shown = [d.strftime("%d.%m.%Y") if not pd.isna(d) else "" for d in pd.Series(expected)]
    assert date_text(values).tolist() == shown
