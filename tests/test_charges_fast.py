"""The fast paths of the charges import (docs/PERFORMANCE.md, «Session 13»): the UTF-8 check by
Arrow's cast decides every line as the regex vote does; quoted fields, bad lines among many good
ones and the text of keys survive; amounts and totals stay exact in kopecks; ПД and lines are stored
as the file lists them whatever order COPY sends them in."""

from __future__ import annotations

import codecs
from pathlib import Path

import pyarrow.compute as pc
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.records import Supplier
from parsers.charges import read_charges
from parsers.charges_lines import _judged, as_one_binary, read_lines
from sql.charges import import_charges, upsert_suppliers
from sql.uow import UnitOfWork

HEADER = "uip;account;period;supplier_inn;service;amount;payer;address"
INN, OTHER_INN = "7707083893", "7830002293"
HELD = "another line of this ПД was rejected"
# Pieces of lines: ASCII, Cyrillic in UTF-8 and in cp1251, 0x98, a stray continuation byte, U+FFFD,
# an overlong and a surrogate (invalid UTF-8), the separators
PIECES = [b"a", b"1;", b" ", "Ж".encode(), "ё".encode(), "Ж".encode("cp1251"), "Сё".encode("cp1251"), b"\x98",
          b"\x80", "\ufffd".encode(), b"\xc0\xaf", b"\xed\xa0\x80", b'"', b"\r", b"\r\n"]  # fmt: skip


def line(uip: str, amount: str = "100.00", payer: str = "Иванов И И", account: str = "1001", inn: str = INN,
         service: str = "ЖКУ") -> str:  # fmt: skip
    """One service line of the billing export."""
    return f"{uip};{account};2026-02;{inn};{service};{amount};{payer};ул. Мира, д. 1"


def export(path: Path, rows: list[str], encoding: str = "utf-8") -> Path:
    """A billing export of ``rows`` under a header."""
    path.write_bytes("\n".join([HEADER, *rows]).encode(encoding) + b"\n")
    return path


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.lists(st.sampled_from(PIECES), max_size=6).map(b"".join), min_size=1, max_size=8),
       bom=st.booleans())  # fmt: skip
def test_the_cast_check_decides_every_line_as_the_regex_vote(tmp_path: Path, lines: list[bytes], bom: bool) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + b"\n".join(lines))
    got = read_lines(path)
    data = b"\n".join(lines).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    want = _judged(pc.list_flatten(pc.split_pattern(as_one_binary(data), b"\n")), data, bom)
    assert got.encoding == want.encoding
    assert got.text.to_pylist() == want.text.to_pylist()
    assert got.problems.tolist() == want.problems.tolist()


def test_bad_lines_among_many_good_ones_are_each_reported_with_number_and_text(tmp_path: Path) -> None:
    rows = [line(f"U{i:05d}", payer=f"П{i}") for i in range(6000)]
    # bad and quoted lines on both sides of 2,048 and 4,096 (chunk sizes of Arrow's kernels)
    rows[1] = rows[1].replace("2026-02", "2026-13")
    rows[2047] = rows[2047] + ";extra"
    rows[2048] = f'U02048;1001;2026-02;{INN};ЖКУ;100.00;"Орлов; О";"ул. Мира; д. 1"'  # good, quoted ';'
    rows[4095] = line("U04095", amount="1.2.3")
    rows[5999] = line("U05999", inn="1234567890")
    parsed = read_charges(export(tmp_path / "c.csv", rows))
    errors = {e.line_no: e for e in parsed.errors}
    assert sorted(errors) == [3, 2049, 4097, 6001]
    assert errors[3].reason == "period must be YYYY-MM" and errors[3].raw == rows[1]
    assert errors[2049].reason == "expected 8 fields" and errors[2049].raw == rows[2047]
    assert errors[4097].raw == rows[4095] and errors[6001].reason == "supplier_inn is not a valid ИНН"
    assert len(parsed.lines) + len(parsed.errors) == len(rows) == parsed.rows  # every line accounted for
    quoted = parsed.lines.set_index("line_no").loc[2050]
    assert (quoted["payer"], quoted["address"]) == ("Орлов; О", "ул. Мира; д. 1")


def test_a_quoted_line_of_the_wrong_width_holds_back_its_document(tmp_path: Path) -> None:
    rows = [line("U1"), f'U1;1001;2026-02;{INN};Свет;5.00;"Орлов; О";ул. Мира;лишнее', line("U2")]
    parsed = read_charges(export(tmp_path / "c.csv", rows, "cp1251"))
    assert [(e.line_no, e.reason, e.raw) for e in parsed.errors] == [
        (2, HELD, rows[0]), (3, "expected 8 fields", rows[1])]  # fmt: skip
    assert parsed.lines["uip"].tolist() == ["U2"]


CHARGES = [
    line("0000000000000000000000000000A001", amount="0.10", account="000012345678"),
    line("0000000000000000000000000000A001", amount="0,20", account="000012345678", inn=OTHER_INN, service="Свет"),
    line("0000000000000000000000000000A001", amount="1234567890123.45", account="000012345678", service="Газ"),
    line("007", amount="5", account="0"),
    line("0000000000000000000000000000A001", amount="7.7", account="000012345678", service="Вода"),
]


def test_keys_stay_text_and_amounts_exact_kopecks(tmp_path: Path) -> None:
    parsed = read_charges(export(tmp_path / "c.csv", CHARGES))
    assert parsed.errors == ()
    assert parsed.lines["uip"].tolist()[3] == "007"
    assert (parsed.lines["account_raw"][0], parsed.lines["account"][0]) == ("000012345678", "12345678")
    assert parsed.lines["account"].tolist()[3] == "0"
    assert parsed.lines["amount"].tolist() == [10, 20, 123456789012345, 500, 770]


@pytest.fixture
def stored(engine: sa.Engine, tmp_path: Path) -> sa.Engine:
    """``CHARGES`` imported, suppliers first."""
    suppliers = [Supplier(inn=i, name=i, kpp="", bank_account="", bic="", email="") for i in (INN, OTHER_INN)]
    with UnitOfWork(engine) as uow:
        upsert_suppliers(uow.conn, suppliers)
        report = import_charges(uow.conn, read_charges(export(tmp_path / "c.csv", CHARGES)))
        uow.commit()
    assert report.documents == ("0000000000000000000000000000A001", "007")  # in file order, not key order
    return engine


def test_stored_totals_are_exact_and_lines_keep_their_file_order(stored: sa.Engine) -> None:
    with stored.connect() as conn:
        docs = conn.execute(sa.text("SELECT uip, account, account_raw, total FROM payment_document ORDER BY uip"))
        docs = docs.all()
        lines = conn.execute(sa.text("SELECT uip, line_no, service, amount FROM service_line ORDER BY uip, line_no"))
        lines = lines.all()
    assert [tuple(d) for d in docs] == [
        ("0000000000000000000000000000A001", "12345678", "000012345678", 10 + 20 + 123456789012345 + 770),
        ("007", "0", "0", 500)]  # fmt: skip
    assert [tuple(r) for r in lines] == [
        ("0000000000000000000000000000A001", 1, "ЖКУ", 10), ("0000000000000000000000000000A001", 2, "Свет", 20),
        ("0000000000000000000000000000A001", 3, "Газ", 123456789012345),
        ("0000000000000000000000000000A001", 4, "Вода", 770), ("007", 1, "ЖКУ", 500)]  # fmt: skip


def test_splitting_a_chunk_at_a_time_reads_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [line(f"U{i}", payer=f"П{i}") for i in range(40)]
    rows[5], rows[6] = rows[5] + ";x", f'U6;1001;2026-02;{INN};ЖКУ;1;"А; Б";ул'  # wrong width, quoted
    rows[20], rows[30] = "   ", line("U30", amount="-1")  # blank (skipped), bad amount
    path = export(tmp_path / "c.csv", rows)
    whole = read_charges(path)
    monkeypatch.setattr("parsers.charges.CHUNK_LINES", 3)
    chunked = read_charges(path)
    assert chunked.errors == whole.errors and len(whole.errors) == 2 and chunked.rows == whole.rows
    assert chunked.lines.equals(whole.lines) and len(whole.lines) == 37


def test_statistics_are_refreshed_only_after_an_import_that_wrote(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rkc.app import import_charges_files
    from rkc.config import init_home, load_config

    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    monkeypatch.delenv("RKC_HOME", raising=False)
    init_home(tmp_path / "home")
    config = load_config(tmp_path / "home")
    refreshed: list[object] = []
    monkeypatch.setattr("rkc.app.refresh_statistics", refreshed.append)
    path, suppliers = export(tmp_path / "c.csv", CHARGES[:2]), Path(__file__).parent / "data/charges/suppliers.csv"
    first = import_charges_files(config, path, suppliers)
    again = import_charges_files(config, path, suppliers, again=True)  # every ПД as stored: nothing written
    assert (first.documents_new, again.documents_new, again.documents_unchanged) == (1, 0, 1)
    assert len(refreshed) == 1
