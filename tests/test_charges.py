"""Charges import: bad rows reported with line and reason, good rows loaded (versions of corrected
ПД: tests/test_charges_versions.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from parsers.base import BadFile
from parsers.charges import read_charges, read_suppliers
from sql.charges import import_charges, upsert_suppliers
from sql.uow import UnitOfWork

DATA = Path(__file__).parent / "data" / "charges"


def _load(engine: sa.Engine, charges: Path, suppliers: Path = DATA / "suppliers.csv"):
    with UnitOfWork(engine) as uow:
        upsert_suppliers(uow.conn, read_suppliers(suppliers)[0])
        report = import_charges(uow.conn, read_charges(charges))
        uow.commit()
    return report


def test_read_charges_rejects_bad_rows_with_line_and_reason() -> None:
    parsed = read_charges(DATA / "charges_cp1251.csv")
    reasons = {e.line_no: e.reason for e in parsed.errors}
    assert reasons == {
        6: "period must be YYYY-MM",
        7: "amount must be like 1234.56 or 1234,56 and not negative",
        8: "another line of this ПД was rejected",
        9: "supplier_inn is not a valid ИНН",
        10: "expected 8 fields",
    }
    good = parsed.lines.set_index("line_no")
    assert list(good.index) == [2, 3, 5, 11]
    assert good.loc[5, "amount"] == 123456
    assert good.loc[2, "account_raw"] == "000012345678" and good.loc[2, "account"] == "12345678"
    assert good.loc[11, "payer"] == "ОРЛОВ; О О"  # a quoted field keeps its separator


def test_read_suppliers_rejects_invalid_inn() -> None:
    suppliers, errors = read_suppliers(DATA / "suppliers.csv")
    assert [s.inn for s in suppliers] == ["7707083893", "7830002293", "5402010008"]
    assert [(e.line_no, e.reason) for e in errors] == [(5, "inn is not a valid ИНН")]


def test_not_a_charges_file_is_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("hello;world\n1;2\n", encoding="utf-8")
    with pytest.raises(BadFile, match="header lacks columns"):
        read_charges(path)


def test_import_stores_good_documents_and_reports_unknown_suppliers(engine: sa.Engine) -> None:
    report = _load(engine, DATA / "charges_cp1251.csv")
    assert (report.documents_new, report.documents_corrected, report.lines) == (2, 0, 3)
    assert any(e.line_no == 11 and "not in the suppliers directory" in e.reason for e in report.errors)
    with engine.connect() as conn:
        totals = dict(conn.execute(sa.text("SELECT uip, total FROM payment_document")).all())
    assert totals == {"0000000000000000000000000000A001": 150000, "0000000000000000000000000000A002": 123456}


def test_a_header_that_repeats_a_column_is_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "charges.csv"
    path.write_text("uip;account;period;supplier_inn;service;amount;payer;address;amount\n"
                    "U1;1;2026-02;7707083893;S;100.00;P;A;999.00\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(BadFile, match=r"repeats columns \['amount'\]"):
        read_charges(path)


def test_empty_trailing_header_columns_are_not_repeats(tmp_path: Path) -> None:
    path = tmp_path / "charges.csv"
    path.write_text("uip;account;period;supplier_inn;service;amount;payer;address;;\n"
                    "U1;1;2026-02;7707083893;S;100.00;P;A;;\n", encoding="utf-8")  # fmt: skip
    parsed = read_charges(path)
    assert parsed.errors == () and parsed.lines["amount"].tolist() == [10000]


def test_documents_are_stored_with_their_address_in_normal_form_and_found_by_it(engine: sa.Engine) -> None:
    from domain.nearmiss import normalize_address
    from sql.queries import documents_at_addresses

    _load(engine, DATA / "charges_cp1251.csv")
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT uip, address, address_key FROM payment_document ORDER BY uip")).all()
        assert stored and all(r.address_key == normalize_address(pd.Series([r.address]))[0] for r in stored)
        first = stored[0]
        found = documents_at_addresses(conn, [first.address_key, "НЕТ ТАКОГО АДРЕСА", ""])
        none = documents_at_addresses(conn, ["", ""])
    assert found["uip"].tolist() == [r.uip for r in stored if r.address_key == first.address_key]
    assert list(found.columns) == ["uip", "account", "period", "address_key"]
    assert none.empty and list(none.columns) == ["uip", "account", "period", "address_key"]


def test_after_an_import_the_planner_knows_the_new_tables(engine: sa.Engine) -> None:
    """The night after an import must not start from statistics taken before it."""
    from sql.charges import refresh_statistics

    _load(engine, DATA / "charges_cp1251.csv")
    refresh_statistics(engine)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            analyzed = conn.execute(
                sa.text(
                    "SELECT relname, n_live_tup, (last_vacuum IS NOT NULL AND last_analyze IS NOT NULL)"
                    " FROM pg_stat_user_tables WHERE relname IN ('payment_document', 'service_line') ORDER BY relname"
                )
            ).all()
            assert [tuple(r) for r in analyzed] == [("payment_document", 2, True), ("service_line", 3, True)]
        else:
            analyzed = conn.execute(sa.text("SELECT DISTINCT tbl FROM sqlite_stat1 ORDER BY tbl")).scalars().all()
            assert {"payment_document", "service_line"} <= set(analyzed)
