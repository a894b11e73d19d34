"""read_frame: the same frame from COPY (PostgreSQL) and from row fetching (SQLite)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from sql.queries import read_frame


def test_read_frame_with_parameters_keeps_text_and_exact_integers(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE q_probe (code TEXT, amount BIGINT, n BIGINT, day DATE, note TEXT)"))
        conn.execute(
            sa.text("INSERT INTO q_probe VALUES (:c, :a, :n, :d, :t)"),
            [
                {"c": "007", "a": 9_007_199_254_740_993, "n": 1, "d": date(2026, 11, 19), "t": "50% ёж's"},
                {"c": "010", "a": None, "n": 2, "d": date(2026, 11, 19), "t": None},
                {"c": "999", "a": 5, "n": 3, "d": date(2026, 11, 20), "t": "x"},
            ],
        )
        frame = read_frame(
            conn,
            "SELECT code, amount, n, note FROM q_probe WHERE day = :d AND note IS DISTINCT FROM :t ORDER BY n",
            {"d": date(2026, 11, 19), "t": "it's 100%"},
            strings=("code", "note"),
        )
        conn.execute(sa.text("DROP TABLE q_probe"))
    assert frame["code"].tolist() == ["007", "010"]  # leading zeros are data
    assert frame["amount"].dtype == "Int64" and frame["amount"].tolist() == [9_007_199_254_740_993, pd.NA]
    assert frame["n"].dtype == "int64"
    assert frame["note"].tolist() == ["50% ёж's", None]


def test_stored_payments_are_found_by_key_with_their_id_and_suspense(engine: sa.Engine) -> None:
    from sql.posting import post_payments
    from sql.queries import posted_keys, stored_payments
    from sql.uow import UnitOfWork
    from tests.dbutil import new_register, payment_frame, split_frame

    payments = payment_frame([{"operation_id": "001", "amount": 100, "matched_uip": "U1"},
                              {"operation_id": "002", "amount": 200}])  # fmt: skip
    with UnitOfWork(engine) as uow:
        post_payments(uow.conn, new_register(uow.conn), payments, split_frame([(0, "7707083893", "ЖКУ", 100)]))
        uow.commit()
    keys = pd.DataFrame({"channel": ["sber", "sber", "sber", "gis"], "operation_id": ["002", "001", "1", "001"],
                         "occurrence": [1, 1, 1, 1]})  # fmt: skip
    with engine.connect() as conn:
        found = stored_payments(conn, keys).sort_values("operation_id", ignore_index=True)
        ids = dict(conn.execute(sa.text("SELECT operation_id, id FROM payment")).all())
        assert posted_keys(conn, keys).sort_values("operation_id")["operation_id"].tolist() == ["001", "002"]
        assert stored_payments(conn, keys.iloc[0:0]).columns.tolist() == [*keys.columns, "id", "in_suspense"]
    assert found["operation_id"].tolist() == ["001", "002"]  # leading zeros kept; "1" and gis/001 are not stored
    assert found["id"].tolist() == [ids["001"], ids["002"]]
    assert found["in_suspense"].tolist() == [False, True]
