"""Spreadsheet profiles added by configuration only: the ГИС ЖКХ payment template and a bank with unit headers.

Samples are made by ``tests/data/registers/make_sheet_samples.py``; golden files beside them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.base import read_head
from parsers.registry import build_parser
from parsers.xlsx import XlsxRegisterParser
from parsers.xlsx_probe import first_rows
from tests.golden import check_golden, parsed_summary
from tests.test_parsers_sheet_accounting import accounted

DATA = Path(__file__).resolve().parent / "data" / "registers"


@pytest.mark.parametrize(
    ("profile", "sample", "kinds"),
    [
        ("xlsx_gis_payments", "sheet_gis_payments.xlsx", {"header": 1, "column_numbers": 1}),
        ("xlsx_bank_units", "sheet_bank_units.xlsx",
         {"title": 2, "header": 2, "column_numbers": 1, "totals": 1, "note": 1}),
    ],
)  # fmt: skip
def test_profile_golden(profile: str, sample: str, kinds: dict[str, int]) -> None:
    parser = build_parser("xlsx", profile)
    path = DATA / sample
    assert parser.identify(path, read_head(path))
    check_golden(parsed_summary(parser, path), path)
    _, counted, _ = accounted(parser, path)
    assert counted == kinds


def test_which_profiles_claim_which_files() -> None:
    # a channel names its profile, so overlap is allowed (the portal's generic names also fit the bank's
    # file), but the bank's strict profile does not claim a portal register
    parsers = [XlsxRegisterParser.from_profile(p) for p in ("xlsx_gis_payments", "xlsx_bank_units", "xlsx_portal")]
    expected = {
        "sheet_gis_payments.xlsx": ["xlsx:gis_payments"],
        "sheet_bank_units.xlsx": ["xlsx:bank_units", "xlsx:portal"],
        "xlsx_portal.xlsx": ["xlsx:portal"],
    }
    for name, claims in expected.items():
        path = DATA / name
        assert [p.name for p in parsers if p.identify(path, read_head(path))] == claims, name


def test_bank_units_reads_kopecks_and_rubles() -> None:
    parser = XlsxRegisterParser.from_profile("xlsx_bank_units")
    (chunk,) = parser.parse(DATA / "sheet_bank_units.xlsx")
    assert chunk.payments["amount"].tolist() == [250000, 120050]  # rubles
    assert chunk.payments["commission"].tolist() == [2500, 1200]  # kopecks
    assert chunk.declared.amount == 400050 and chunk.declared.commission == 4200 and chunk.declared.count == 3
    (error,) = chunk.errors
    assert error.amount == 30000 and "kopecks" in error.reason


def test_probe_places_cells_in_their_columns() -> None:
    rows = first_rows(DATA / "sheet_bank_units.xlsx", 4)
    assert rows is not None
    assert rows[3] == ["", "", "", "", "Сумма платежа, руб.", "Комиссия банка, коп."]
