"""Storing a statement's п/п: a transfer listed again (overlapping statements, or twice in one) is
stored once, judged by its identity (date, number, payer's account, amount) in SQL."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from sql import transfers
from sql.uow import UnitOfWork


def _rows(statement_id: int, *items: tuple[str, str, str, int]) -> pd.DataFrame:
    return pd.DataFrame([{"statement_id": statement_id, "number": n, "date": d, "amount": a, "payer_name": "Агент",
                          "payer_inn": "7700000001", "payer_account": acc, "purpose": "", "channel": None}
                         for n, d, acc, a in items])  # fmt: skip


def _statement(conn: sa.Connection, sha: str) -> int:
    return transfers.add_statement(conn, file=f"{sha}.txt", sha256=sha, account="40702810000000000001",
                                   date_from=date(2026, 3, 1), date_to=date(2026, 3, 2), opening=0, closing=0,
                                   run_date=date(2026, 3, 2))  # fmt: skip


def test_a_transfer_listed_again_is_stored_once(engine: sa.Engine) -> None:
    first = ("1", "2026-03-01", "40702810000000000002", 100_00)
    with UnitOfWork(engine) as uow:
        sid = _statement(uow.conn, "a" * 64)
        assert transfers.statement_known(uow.conn, "a" * 64) and not transfers.statement_known(uow.conn, "b" * 64)
        assert transfers.add_new_transfers(uow.conn, _rows(sid, first, first)) == 1  # twice in one statement
        other = _statement(uow.conn, "b" * 64)
        again = _rows(other, first, ("1", "2026-03-01", "40702810000000000002", 200_00),  # same number, other sum
                      ("1", "2026-03-02", "40702810000000000002", 100_00))  # fmt: skip
        assert transfers.add_new_transfers(uow.conn, again) == 2
        assert transfers.add_new_transfers(uow.conn, again.iloc[0:0]) == 0
        uow.commit()
    with engine.connect() as conn:
        stored = [(r.number, str(r.date), r.amount, r.statement_id) for r in transfers.unused_transfers(conn)]
    assert stored == [("1", "2026-03-01", 100_00, sid), ("1", "2026-03-01", 200_00, other),
                      ("1", "2026-03-02", 100_00, other)]  # fmt: skip
