"""Versioned charges: what an import does with each ПД (new, unchanged, corrected with or without money
split by it), acceptance by reversal and repost, and versions that nothing can edit."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from domain.ledger import supplier_account
from parsers.charges import read_charges, read_suppliers
from rkc.corrections import accept_corrections, accept_in
from sql.charges import import_charges, upsert_suppliers
from sql.corrections import held_payments
from sql.entries import reclassify
from sql.ledger_queries import balances, check_ledger
from sql.posting import post_payments
from sql.uow import UnitOfWork
from tests.dbutil import new_register, payment_frame, split_frame

DATA = Path(__file__).parent / "data" / "charges"
A, B = "7707083893", "7830002293"  # suppliers of tests/data/charges/suppliers.csv
FIRST = [f"U1;1001;2026-02;{A};ЖКУ;100.00;P;X", f"U1;1001;2026-02;{B};Свет;50.00;P;X", f"U2;1002;2026-02;{A};ЖКУ;5;P;Y"]
ON = date(2026, 3, 20)


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("uip;account;period;supplier_inn;service;amount;payer;address\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")  # fmt: skip
    return path


def _load(engine: sa.Engine, path: Path, *, accept: bool = False):  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        upsert_suppliers(uow.conn, read_suppliers(DATA / "suppliers.csv")[0])
        report = import_charges(uow.conn, read_charges(path))
        accepted = accept_in(uow.conn, ON, report.documents) if accept else None
        uow.commit()
    return report, accepted


def _post_on_u1(engine: sa.Engine) -> None:
    """A night's payment of 150.00 to U1, split by its version 1 (100.00 to A, 50.00 to B)."""
    with UnitOfWork(engine) as uow:
        payments = payment_frame([{"operation_id": "1", "amount": 15000, "matched_uip": "U1", "match_rule": "uip",
                                   "document_version": 1}])  # fmt: skip
        post_payments(uow.conn, new_register(uow.conn), payments,
                      split_frame([(0, A, "ЖКУ", 10000), (0, B, "Свет", 5000)]))  # fmt: skip
        uow.commit()


def _suppliers(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        found = balances(conn)
    return {k: v for k, v in found.items() if k.startswith("supplier:") and v}


# (case, posted on U1 first, second export, accept, (new, corrected, unchanged, lines written),
#  held payments after the import, U1's current version, supplier balances after)
CASES = [
    ("new", False, None, False, (2, 0, 0, 3), 0, 1, {}),
    ("unchanged, lines in another order", False, [FIRST[2], FIRST[1], FIRST[0]], False, (0, 0, 2, 0), 0, 1, {}),
    ("changed, no money split", False, [f"U1;1001;2026-02;{A};ЖКУ;120.00;P;X", FIRST[2]], False,
     (0, 1, 1, 1), 0, 2, {}),
    ("changed, money split: held", True, [f"U1;1001;2026-02;{B};ЖКУ;150.00;P;X", FIRST[2]], False,
     (0, 1, 1, 1), 1, 2, {supplier_account(A): 10000, supplier_account(B): 5000}),
    ("changed, money split: accepted", True, [f"U1;1001;2026-02;{B};ЖКУ;150.00;P;X", FIRST[2]], True,
     (0, 1, 1, 1), 0, 2, {supplier_account(B): 15000}),
    ("payer changed only, money split: accepted", True, [r.replace(";P;", ";Q;") for r in FIRST[:2]] + FIRST[2:], True,
     (0, 1, 1, 2), 0, 2, {supplier_account(A): 10000, supplier_account(B): 5000}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "posted", "second", "accept", "counts", "held", "version", "after"), CASES,
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_import_outcomes(
    engine: sa.Engine, tmp_path: Path, case: str, posted: bool, second: list[str] | None, accept: bool,
    counts: tuple[int, int, int, int], held: int, version: int, after: dict[str, int],
) -> None:  # fmt: skip
    report, _ = _load(engine, _write(tmp_path / "first.csv", FIRST))
    if posted:
        _post_on_u1(engine)
    if second is not None:
        report, accepted = _load(engine, _write(tmp_path / "second.csv", second), accept=accept)
        if posted and accept:
            assert (accepted.payments, accepted.amount, accepted.entries) == (1, 15000, 2)
    got = (report.documents_new, report.documents_corrected, report.documents_unchanged, report.lines)
    assert got == counts
    assert report.errors == ()
    if posted and second is not None:  # the import counts the money split by the corrected ПД's old version
        assert (report.held.documents, report.held.payments, report.held.amount) == (1, 1, 15000)
    with engine.connect() as conn:
        assert len(held_payments(conn)) == held
        assert conn.execute(sa.text("SELECT version FROM payment_document WHERE uip = 'U1'")).scalar() == version
        versions = conn.execute(sa.text("SELECT COUNT(*) FROM payment_document_version WHERE uip = 'U1'")).scalar()
        first_lines = conn.execute(
            sa.text("SELECT COUNT(*) FROM service_line WHERE uip = 'U1' AND version = 1")
        ).scalar()
        assert check_ledger(conn) == []
    assert versions == version and first_lines == 2  # version 1 is kept whole, whatever came after
    assert _suppliers(engine) == after


def test_acceptance_is_idempotent_and_records_the_version(engine: sa.Engine, tmp_path: Path) -> None:
    _load(engine, _write(tmp_path / "first.csv", FIRST))
    _post_on_u1(engine)
    _load(engine, _write(tmp_path / "second.csv", [f"U1;1001;2026-02;{B};ЖКУ;150.00;P;X", FIRST[2]]))
    first = accept_corrections(engine, ON, ["U1"])
    again = accept_corrections(engine, ON)
    assert (first.payments, first.amount, first.entries) == (1, 15000, 2) and again.payments == 0
    _load(engine, _write(tmp_path / "third.csv", [f"U1;1001;2026-02;{A};ЖКУ;150.00;P;X", FIRST[2]]))
    third = accept_corrections(engine, ON)  # a second correction: the repost itself is reversed
    assert (third.payments, third.entries) == (1, 2)
    with engine.connect() as conn:
        entries = conn.execute(sa.text(
            "SELECT kind, source_key, document_version FROM ledger_entry ORDER BY id")).all()  # fmt: skip
        assert check_ledger(conn) == []
    assert [(e.kind, e.document_version) for e in entries] == [
        ("payment", 1),
        ("reversal", None),
        ("payment", 2),
        ("reversal", None),
        ("payment", 3),
    ]
    assert entries[2].source_key.startswith("repost:") and entries[2].source_key.endswith(":v2")
    assert _suppliers(engine) == {supplier_account(A): 15000}


def test_an_accountants_reclassification_is_reposted_as_a_reclassification(engine: sa.Engine, tmp_path: Path) -> None:
    _load(engine, _write(tmp_path / "first.csv", FIRST))
    with UnitOfWork(engine) as uow:  # a payment in suspense, resolved by an accountant to U1 version 1
        ids = post_payments(uow.conn, new_register(uow.conn), payment_frame([{"operation_id": "9", "amount": 3000}]),
                            split_frame([])).ids  # fmt: skip
        pid = int(ids["id"].iloc[0])
        parts = split_frame([(0, A, "ЖКУ", 2000), (0, B, "Свет", 1000)]).drop(columns="payment_id")
        entry = reclassify(uow.conn, pid, parts,
                           on=ON, description="t", document_version=1)  # fmt: skip
        uow.conn.execute(sa.text("INSERT INTO resolution (payment_id, target_uip, resolved_by, source_file, entry_id)"
                                 " VALUES (:p, 'U1', 'Иванова', 'r.xlsx', :e)"), {"p": pid, "e": entry})  # fmt: skip
        uow.commit()
    report, accepted = _load(engine, _write(tmp_path / "second.csv", [f"U1;1001;2026-02;{B};ЖКУ;150.00;P;X"]),
                             accept=True)  # fmt: skip
    assert report.held.payments == 1 and accepted.payments == 1
    with engine.connect() as conn:
        kinds = conn.execute(sa.text("SELECT kind FROM ledger_entry WHERE payment_id = :p ORDER BY id"), {"p": pid})
        assert kinds.scalars().all() == ["payment", "reclass", "reversal", "reclass"]
        assert check_ledger(conn) == []
    assert _suppliers(engine) == {supplier_account(B): 3000}


def test_a_payment_split_across_two_documents_is_left_as_split(engine: sa.Engine, tmp_path: Path) -> None:
    """A split payment's parts (one reclass entry per ПД) stay split by the versions they used: the
    correction of one of its ПД holds nothing and accepting it moves nothing (undo and split again)."""
    from rkc.assign import assign_parts

    _load(engine, _write(tmp_path / "first.csv", FIRST))
    with UnitOfWork(engine) as uow:
        ids = post_payments(uow.conn, new_register(uow.conn), payment_frame([{"operation_id": "9", "amount": 3000}]),
                            split_frame([])).ids  # fmt: skip
        pid = int(ids["id"].iloc[0])
        done = assign_parts(uow.conn, pid, [("U1", 2000), ("1002", 1000)], resolved_by="Иванова", source="r.xlsx",
                            description="t", on=ON)  # fmt: skip
        uow.commit()
    assert [(u, a) for u, a, _ in done] == [("U1", 2000), ("U2", 1000)]
    report, accepted = _load(engine, _write(tmp_path / "second.csv", [f"U1;1001;2026-02;{B};ЖКУ;150.00;P;X",
                                                                      FIRST[2]]), accept=True)  # fmt: skip
    assert report.held.payments == 0 and accepted.payments == 0
    with engine.connect() as conn:
        assert held_payments(conn).empty
        kinds = conn.execute(sa.text("SELECT kind FROM ledger_entry WHERE payment_id = :p ORDER BY id"), {"p": pid})
        assert kinds.scalars().all() == ["payment", "reclass", "reclass"]
        assert check_ledger(conn) == []
    # U1's 20.00 split 100:50 over A and B by its version 1 (13.33 and 6.67, the kopeck to the larger
    # remainder), U2's 10.00 to A
    assert _suppliers(engine) == {supplier_account(A): 1333 + 1000, supplier_account(B): 667}


@pytest.mark.parametrize("table", ["service_line", "payment_document_version"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET uip = 'X'", "DELETE FROM {t}"])
def test_versions_are_append_only(engine: sa.Engine, tmp_path: Path, table: str, statement: str) -> None:
    _load(engine, _write(tmp_path / "first.csv", FIRST))
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text(statement.format(t=table)))


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    from typer.testing import CliRunner

    from rkc.cli import app

    monkeypatch.setenv("RKC_DATABASE_URL", db_url)
    monkeypatch.delenv("RKC_HOME", raising=False)
    home = tmp_path / "home"
    assert CliRunner().invoke(app, ["init", "--home", str(home)]).exit_code == 0
    return home


def _cli(home: Path, *args: str):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from rkc.cli import app

    return CliRunner().invoke(app, ["--home", str(home), "charges", *args], catch_exceptions=False)


def test_cli_says_what_waits_and_accepts_it(home: Path, tmp_path: Path, engine: sa.Engine) -> None:
    suppliers = str(DATA / "suppliers.csv")
    first = _cli(home, "import", str(_write(tmp_path / "first.csv", FIRST)), "--suppliers", suppliers)
    assert "Imported 2 new and 0 corrected ПД (3 service lines), 0 unchanged" in first.output, first.output
    assert _cli(home, "import", str(tmp_path / "first.csv"), "--again").output.strip() == (
        "No change: all 2 ПД of the export are as stored; 0 corrected; 0 rows rejected."
    )
    _post_on_u1(engine)
    fixed = _write(tmp_path / "second.csv", [f"U1;1001;2026-02;{B};ЖКУ;150.00;P;X", FIRST[2]])
    held = _cli(home, "import", str(fixed))
    assert "Imported 0 new and 1 corrected ПД (1 service lines), 1 unchanged" in held.output
    assert (
        "1 corrected ПД already have money split by their earlier version: 1 payments, 150,00 ₽. The money stays"
        " on the old split until the correction is accepted (rkc charges accept)."
    ) in " ".join(held.output.split())
    assert _cli(home, "accept").exit_code == 2  # neither --uip nor --all
    done = _cli(home, "accept", "--uip", "U1")
    assert "Accepted: 1 payments (150,00 ₽) of 1 ПД moved to the corrected split; 2 ledger entries" in " ".join(
        done.output.split()
    )
    assert "Nothing to accept" in _cli(home, "accept", "--all").output
    assert _suppliers(engine) == {supplier_account(B): 15000}
    again = _write(tmp_path / "third.csv", [f"U1;1001;2026-02;{A};ЖКУ;150.00;P;X", FIRST[2]])
    moved = _cli(home, "import", str(again), "--accept-corrections")
    assert "Corrections accepted: 1 payments (150,00 ₽) of 1 ПД moved to the corrected split." in " ".join(
        moved.output.split()
    )
    assert _suppliers(engine) == {supplier_account(A): 15000}
    held = _write(tmp_path / "fourth.csv", [FIRST[2], f"U1;1001;2026-02;{B};ЖКУ;150.00;P;X"])  # back to B
    assert "1 corrected ПД already have money split" in " ".join(_cli(home, "import", str(held)).output.split())
    late = _cli(home, "import", str(held), "--accept-corrections")  # the same bytes: read again, and accepted
    assert "Corrections accepted: 1 payments" in late.output and "0 corrected" in late.output, late.output
    assert _suppliers(engine) == {supplier_account(B): 15000}
