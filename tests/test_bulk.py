"""Bulk inserts keep text exactly: Arrow and object text, NUL, quotes, newlines, NULL vs empty."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa

from sql.bulk import COPY_BATCH_ROWS, _records, bulk_insert

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
    labels = ["supplier:0012", "agent:sber", None, 'a "quoted", comma', "nul\x00byte", "supplier:0012"]
    frame = pd.DataFrame({"id": range(len(labels)), "account": pd.Categorical(labels)})
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE cat_probe (id BIGINT, account TEXT)"))
        bulk_insert(conn, "cat_probe", frame, ["id", "account"])
        rows = conn.execute(sa.text("SELECT account FROM cat_probe ORDER BY id")).scalars().all()
        conn.execute(sa.text("DROP TABLE cat_probe"))
    nul = "nul\\x00byte" if engine.dialect.name == "postgresql" else "nul\x00byte"  # PostgreSQL text holds no NUL
    assert rows == [*labels[:4], nul, labels[5]]


def test_rows_sent_in_the_given_order_arrive_whole(engine: sa.Engine) -> None:
    n = COPY_BATCH_ROWS + 11  # the order spans two batches
    order = np.random.default_rng(3).permutation(n)
    frame = pd.DataFrame({"id": np.arange(n, dtype=np.int64), "label": pd.Series([f"r{i}" for i in range(n)])})
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE order_probe (id BIGINT, label TEXT)"))
        assert bulk_insert(conn, "order_probe", frame, ["id", "label"], order) == n
        rows = conn.execute(sa.text("SELECT id, label FROM order_probe")).all()
        conn.execute(sa.text("DROP TABLE order_probe"))
    assert sorted(rows) == [(i, f"r{i}") for i in range(n)]
    if engine.dialect.name == "postgresql":  # COPY sends them in that order: a heap scan returns it
        assert [r[0] for r in rows] == list(order)


@pytest.mark.parametrize(
    ("keys", "ids", "expected"),
    [
        (["payment:sber:3:1", "payment:sber:1:1", "payment:sber:2:1"], range(10, 13), [12, 10, 11]),
        (["payment:a:1:1", "payment:a:2:1"], range(5, 7), [5, 6]),  # already in order: no reordering
    ],
)
def test_ids_are_handed_out_in_key_order(keys: list[str], ids: range, expected: list[int]) -> None:
    from sql.payment_ids import in_order, key_order

    order = key_order(pd.Series(keys, dtype="str"))
    assert list(in_order(ids, order)) == expected
    if expected == sorted(expected):
        assert order is None


def test_staged_rows_are_joinable_in_the_block_and_gone_after(engine: sa.Engine) -> None:
    from sql.bulk import staged

    keys = pd.DataFrame({"code": ["007", "010"], "n": [1, 2]})
    with engine.begin() as conn:
        with staged(conn, "probe_staged", keys, {"code": "TEXT", "n": "BIGINT"}) as name:
            rows = conn.execute(sa.text(f"SELECT code, n FROM {name} ORDER BY n")).all()
        assert [tuple(r) for r in rows] == [("007", 1), ("010", 2)]  # leading zeros are data
        with pytest.raises(sa.exc.DBAPIError):
            conn.execute(sa.text("SELECT 1 FROM probe_staged"))


def test_a_copy_refused_by_the_server_raises_and_stores_nothing(engine: sa.Engine) -> None:
    n = COPY_BATCH_ROWS * 3 + 5  # the sender thread has batches waiting when the bad row arrives
    ids = pd.array([None if i == COPY_BATCH_ROWS + 3 else i for i in range(n)], dtype="Int64")
    frame = pd.DataFrame({"id": ids, "name": pd.Series([f"n{i}" for i in range(n)], dtype="str")})
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE bulk_refused (id BIGINT NOT NULL, name TEXT)"))
    try:
        # PostgreSQL's COPY runs on the driver's cursor: its error arrives unwrapped by SQLAlchemy
        with pytest.raises((sa.exc.DBAPIError, psycopg.Error)), engine.begin() as conn:
            bulk_insert(conn, "bulk_refused", frame, ["id", "name"])
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM bulk_refused")).scalar_one() == 0
            assert bulk_insert(conn, "bulk_refused", frame.iloc[:10], ["id", "name"]) == 10  # the engine still works
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE bulk_refused"))


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (pd.Series([7, 0], dtype="int64"), [7, 0]),
        (pd.array([None, 10**15], dtype="Int64"), [None, 10**15]),
        (pd.Series([np.nan, 1.5]), [None, 1.5]),
        (pd.Series([None, "0012"], dtype="str"), [None, "0012"]),
        (pd.Series([np.nan, "0012"], dtype=object), [None, "0012"]),
        (pd.Categorical([None, "supplier:7701"]), [None, "supplier:7701"]),
        (pd.to_datetime([None, "2026-11-20 02:30"]), [None, pd.Timestamp("2026-11-20 02:30")]),
        (pd.Series([None, date(2026, 11, 20)], dtype=object), [None, date(2026, 11, 20)]),
        (pd.Series([True, False]), [True, False]),
    ],
    ids=["int64", "Int64", "float", "str", "object", "category", "datetime", "date", "bool"],
)
def test_rows_for_the_db_api_hold_plain_values_and_none_for_missing(column: object, expected: list) -> None:
    rows = _records(pd.DataFrame({"id": [1, 2], "value": column}))
    assert rows == [{"id": 1, "value": expected[0]}, {"id": 2, "value": expected[1]}]
    plain = (int, float, str, bool, date, type(None))
    assert all(isinstance(v, plain) and not isinstance(v, np.generic) for row in rows for v in row.values())
