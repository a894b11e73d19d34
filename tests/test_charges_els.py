"""The billing export's optional ``els`` column: read, validated, stored with the ПД and its versions,
in the content hash only when present, and used by the night's matching (docs/FORMATS.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from domain.chargeindex import ChargeIndex
from domain.chargeversions import content_hashes
from domain.matching import match_payments
from parsers.charges import read_charges, read_suppliers
from sql.charges import import_charges, upsert_suppliers
from sql.queries import load_charges
from sql.uow import UnitOfWork

DATA = Path(__file__).parent / "data" / "charges"
A = "7707083893"
HEADER = "uip;account;period;supplier_inn;service;amount;payer;address"


def _write(path: Path, rows: list[str], *, els: bool = True) -> Path:
    path.write_text(HEADER + (";els" if els else "") + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("els", "stored", "reason"),
    [
        ("77АБ000042", "77АБ000042", None),
        ("77ав000042", "77АВ000042", None),
        ("77АБ000042-01", "77АБ000042-01", None),
        ("77 АБ 000042 – 01", "77АБ000042-01", None),
        ("", None, None),
        ("77АБ00004", None, "els must be an ЕЛС"),
        ("77АБ000042-1", None, "els must be an ЕЛС"),
        ("ЛС 1000", None, "els must be an ЕЛС"),
    ],
)
def test_els_values(tmp_path: Path, els: str, stored: str | None, reason: str | None) -> None:
    parsed = read_charges(_write(tmp_path / "c.csv", [f"U1;1001;2026-02;{A};ЖКУ;100.00;P;X;{els}"]))
    if reason:
        assert [e.reason[: len(reason)] for e in parsed.errors] == [reason]
        assert parsed.lines.empty
    else:
        assert not parsed.errors
        assert parsed.lines["els"].tolist() == [stored]


def test_lines_of_a_pd_must_agree_on_els(tmp_path: Path) -> None:
    rows = [f"U1;1001;2026-02;{A};ЖКУ;1;P;X;77АБ000042", f"U1;1001;2026-02;{A};Свет;2;P;X;77АБ000043"]
    parsed = read_charges(_write(tmp_path / "c.csv", rows))
    assert parsed.lines.empty
    assert {e.reason for e in parsed.errors} == {"lines of this ПД disagree on account, period or els"}


def test_export_without_els_column(tmp_path: Path) -> None:
    parsed = read_charges(_write(tmp_path / "c.csv", [f"U1;1001;2026-02;{A};ЖКУ;1;P;X"], els=False))
    assert not parsed.errors
    assert parsed.lines["els"].tolist() == [None]


def test_hash_is_unchanged_without_els_and_changes_with_it(tmp_path: Path) -> None:
    row = f"U1;1001;2026-02;{A};ЖКУ;1;P;X"
    without = read_charges(_write(tmp_path / "a.csv", [row], els=False)).lines
    empty = read_charges(_write(tmp_path / "b.csv", [row + ";"])).lines
    given = read_charges(_write(tmp_path / "c.csv", [row + ";77АБ000042"])).lines
    h = [content_hashes(f)["U1"] for f in (without, empty, given)]
    assert h[0] == h[1] == content_hashes(without.drop(columns=["els"]))["U1"]
    assert h[2] != h[0]


def test_stored_with_versions_and_matched(engine: sa.Engine, tmp_path: Path) -> None:
    """ЕЛС stored with the ПД; adding it later is a correction (a new version); the night's charges
    frame carries it and a payment with only an ИЖКУ finds its ПД."""
    suppliers = read_suppliers(DATA / "suppliers.csv")[0]
    first = _write(tmp_path / "1.csv", [f"U1;1001;2026-02;{A};ЖКУ;1;P;X"], els=False)
    second = _write(tmp_path / "2.csv", [f"U1;1001;2026-02;{A};ЖКУ;1;P;X;77ав000042-01"])
    with UnitOfWork(engine) as uow:
        upsert_suppliers(uow.conn, suppliers)
        assert import_charges(uow.conn, read_charges(first)).documents_new == 1
        assert import_charges(uow.conn, read_charges(first)).documents_unchanged == 1
        assert import_charges(uow.conn, read_charges(second)).documents_corrected == 1
        uow.commit()
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version, els FROM payment_document_version ORDER BY version")).all()
        current = conn.execute(sa.text("SELECT version, els FROM payment_document")).one()
        charges = load_charges(conn, ("uip", "account", "period", "supplier_inn", "service", "amount", "els"))
    assert [tuple(v) for v in versions] == [(1, None), (2, "77АВ000042-01")]
    assert tuple(current) == (2, "77АВ000042-01")
    payment = pd.DataFrame([(1, None, None, "77AB000042-01", None)],
                           columns=["payment_id", "uip", "account", "els", "period"])  # fmt: skip
    row = match_payments(payment, ChargeIndex.build(charges)).matches.iloc[0]
    assert (row["uip"], row["rule"]) == ("U1", "izhku")
