"""Bulk inserts keep text exactly: Arrow and object text, NUL, quotes, newlines, NULL vs empty."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from sql.bulk import COPY_BATCH_ROWS, bulk_insert

TRICKY = ["0012", "Иванов; \"Ёж\", д.1\r\nкв.2", "", None, "tab\there", "a,b", "x\x00y", "'", "\\N", "  "]


def _expected(value: str | None, dialect: str) -> str | None:
    if value is not None and "\x00" in value and dialect == "postgresql":
        return value.replace("\x00", "\\x00")  # PostgreSQL text cannot hold NUL: escaped visibly
    return value


def test_text_survives_bulk_insert(engine: sa.Engine) -> None:
    n = COPY_BATCH_ROWS * 2 + 7  # several COPY batches
    values = [TRICKY[i % len(TRICKY)] for i in range(n)]
    frame = pd.DataFrame(
        {
            "id": np.arange(n, dtype=np.int64),
            "arrow_text": pd.Series(values, dtype="str").iloc[::-1].reset_index(drop=True),  # a sliced Arrow column
            "object_text": pd.Series(values, dtype=object),
            "amount": pd.array([None if i % 3 == 0 else i * 10**12 for i in range(n)], dtype="Int64"),
        }
    )
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE bulk_probe (id BIGINT, arrow_text TEXT, object_text TEXT, amount BIGINT)"))
        assert bulk_insert(conn, "bulk_probe", frame, list(frame.columns)) == n
        rows = conn.execute(sa.text("SELECT id, arrow_text, object_text, amount FROM bulk_probe ORDER BY id")).all()
        conn.execute(sa.text("DROP TABLE bulk_probe"))
    dialect = engine.dialect.name
    arrow_values = values[::-1]
    assert [r[0] for r in rows] == list(range(n))
    # pandas str columns hold no difference between None and NaN: both must arrive as NULL
    assert [r[1] for r in rows] == [_expected(v, dialect) for v in arrow_values]
    assert [r[2] for r in rows] == [_expected(v, dialect) for v in values]
    assert [r[3] for r in rows] == [None if i % 3 == 0 else i * 10**12 for i in range(n)]


def test_categorical_text_is_written_as_its_labels(engine: sa.Engine) -> None:
    frame = pd.DataFrame({"id": [1, 2, 3], "account": pd.Categorical(["supplier:0012", "agent:sber", "supplier:0012"])})
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE cat_probe (id BIGINT, account TEXT)"))
        bulk_insert(conn, "cat_probe", frame, ["id", "account"])
        rows = conn.execute(sa.text("SELECT account FROM cat_probe ORDER BY id")).scalars().all()
        conn.execute(sa.text("DROP TABLE cat_probe"))
    assert rows == ["supplier:0012", "agent:sber", "supplier:0012"]
