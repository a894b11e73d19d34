"""Every table of a charges import is sent in key order (uip, version, line_no): the service lines
placed by their ПД's rank in one sort of the ПД, as a sort of every line's uip placed them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import sql.charges as charges
from parsers.charges import read_charges, read_suppliers
from sql.uow import UnitOfWork
from tests.test_charges_versions import DATA, A, B, _write

# Lines of ПД in no order, some ПД's lines apart, uips that sort differently as text and as numbers.
FIRST = [f"U10;1;2026-02;{A};ЖКУ;1;P;X", f"U2;2;2026-02;{B};Свет;2;P;X", f"U10;1;2026-02;{B};Свет;3;P;X",
         f"Ua;3;2026-02;{A};ЖКУ;4;P;X", f"U2;2;2026-02;{A};ЖКУ;5;P;X", f"U1;4;2026-02;{A};ЖКУ;6;P;X",
         f"U10;1;2026-02;{A};Газ;7;P;X"]  # fmt: skip
SECOND = [*FIRST[:3], f"Ua;3;2026-02;{A};ЖКУ;40;P;X", *FIRST[4:6], f"U0;5;2026-02;{B};ЖКУ;8;P;X"]  # U10, Ua changed


@pytest.mark.parametrize("exports", [[FIRST], [FIRST, SECOND]], ids=["first import", "a correction after it"])
def test_each_copy_is_in_key_order(engine: sa.Engine, tmp_path: Path, exports: list[list[str]],
                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    sent: dict[str, list[pd.DataFrame]] = {}
    insert = charges.bulk_insert

    def capture(conn, table, frame, columns, order=None):  # type: ignore[no-untyped-def]
        if table in ("payment_document_version", "service_line", "payment_document"):
            sent.setdefault(table, []).append(frame.iloc[order].reset_index(drop=True))
            old = charges._key_order(frame["uip"])  # what the import sent before: a sort of the rows' uip
            assert order.tolist() == old.tolist(), table
        return insert(conn, table, frame, columns, order)

    monkeypatch.setattr(charges, "bulk_insert", capture)
    for k, rows in enumerate(exports):
        with UnitOfWork(engine) as uow:
            charges.upsert_suppliers(uow.conn, read_suppliers(DATA / "suppliers.csv")[0])
            charges.import_charges(uow.conn, read_charges(_write(tmp_path / f"export{k}.csv", rows)))
            uow.commit()
    for table, frames in sent.items():
        for frame in frames:
            keys = ["uip", "version", "line_no"] if table == "service_line" else ["uip"]
            as_bytes = frame[keys].astype({"uip": object}).map(lambda v: v.encode() if isinstance(v, str) else v)
            assert as_bytes.equals(as_bytes.sort_values(keys, ignore_index=True)), table
    # the correction writes U10 (its Газ line gone: two lines), Ua's one line and the new U0's
    assert [len(f) for f in sent["service_line"]] == [7, 4][: len(exports)]
