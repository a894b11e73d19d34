"""Why a DBF profile does not identify a file (``DbfRegisterParser.explain``): the quarantine reason
names the content when it is no DBF table, else the table's fields and those the profile needs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from parsers.base import read_head
from parsers.dbf import DbfRegisterParser
from tests.dbfutil import POCHTA_FIELDS, SBER_FIELDS, Field, sber_record, write_dbf

WIDE = [Field(f"F{i:03d}", "C", 2) for i in range(120)]  # a table with very many fields

CASES = [
    # (how the file is made, fragments the reason holds)
    (lambda p: write_dbf(p, SBER_FIELDS, [(" ", sber_record("0012", "ИВАНОВ", "100.00"))]), [""]),
    (
        lambda p: write_dbf(p, POCHTA_FIELDS, []),
        ["a DBF file whose fields are NLS, FIO, ADRES, PERIOD, SUM_PL, SUM_KOM, DATE_PL, TIME_PL, NOMOPER",
         "the profile needs LS or LSCHET, SUMMA, DATA (identify.fields)"],
    ),
    (
        lambda p: write_dbf(p, [Field("LSCHET", "C", 12), Field("SUMMA", "N", 12, 2), Field("DT", "C", 8)], []),
        ["fields are LSCHET, SUMMA, DT;", "the profile needs DATA (identify.fields)"],
    ),
    (lambda p: write_dbf(p, WIDE, []), ["fields are F000, F001", "…; the profile needs LS or LSCHET"]),
    (lambda p: p.write_text("15-03-2026;LS;SUMMA;DATA\n", encoding="cp1251"), ["not a DBF file: the content is text"]),
    (lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00" * 60), ["not a DBF file: the content is zip"]),
    (lambda p: p.write_bytes(b"<html><table><tr><td>1</td></tr></table></html>"), ["the content is html"]),
]


@pytest.mark.parametrize(("make", "fragments"), CASES)
def test_explain_names_what_was_expected(tmp_path: Path, make: Callable[[Path], object], fragments: list[str]) -> None:
    path = tmp_path / "r.dbf"
    make(path)
    parser = DbfRegisterParser.from_profile("dbf_sber_branch")
    why = parser.explain(path)
    if fragments == [""]:
        assert why == "" and parser.identify(path, read_head(path))
        return
    assert not parser.identify(path, read_head(path))
    assert "\n" not in why and len(why) < 400
    for fragment in fragments:
        assert fragment in why
