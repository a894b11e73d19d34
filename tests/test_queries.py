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
