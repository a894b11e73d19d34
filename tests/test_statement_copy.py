"""The COPY read (PostgreSQL, `sql.copy_out`): rows taken from libpq in blocks of whole rows or all at once, the end
finished whichever side reads it, the server's error raised, the connection usable after."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from sql.copy_out import copy_blocks

pytestmark = pytest.mark.postgres


def _copy(conn: sa.Connection, query: str, size: int) -> list[bytes]:
    driver = conn.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:  # type: ignore[union-attr]
        return [bytes(block) for block in copy_blocks(driver, copy, size)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("rows", "size"), [(0, 10), (1, 10), (1000, 1), (1000, 100), (50_000, 1 << 20)])
def test_blocks_hold_every_row_whole(pg_empty_url: str, rows: int, size: int) -> None:
    from sql.engine import make_engine

    engine = make_engine(pg_empty_url)
    try:
        with engine.connect() as conn:
            blocks = _copy(conn, f"SELECT g, 'x,' || g FROM generate_series(1, {rows}) g", size)
            assert conn.execute(sa.text("SELECT 7")).scalar() == 7  # the COPY is over
    finally:
        engine.dispose()
    assert all(block.endswith(b"\n") for block in blocks)
    assert all(len(block) >= size for block in blocks[:-1])
    expected = "".join(f'{g},"x,{g}"\n' for g in range(1, rows + 1)).encode()
    assert b"".join(blocks) == expected


def test_the_servers_error_is_raised(pg_empty_url: str) -> None:
    from sql.engine import make_engine

    engine = make_engine(pg_empty_url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))  # a transaction begun, as the statements' read has one
            with pytest.raises(psycopg.errors.DivisionByZero):
                _copy(conn, "SELECT 1 / (g - 20000) FROM generate_series(1, 40000) g", 100)
            conn.rollback()
            assert conn.execute(sa.text("SELECT 7")).scalar() == 7
    finally:
        engine.dispose()


@pytest.mark.parametrize("rows", [0, 1, 50_000])
def test_the_whole_text_in_one_buffer_with_parameters_bound(pg_empty_url: str, rows: int) -> None:
    from sql.copy_out import copy_text
    from sql.engine import make_engine

    engine = make_engine(pg_empty_url)
    try:
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            statement = "COPY (SELECT g, %(text)s || g FROM generate_series(1, %(rows)s) g) TO STDOUT WITH (FORMAT csv)"
            text = copy_text(driver, statement, {"text": "x,'", "rows": rows})  # type: ignore[arg-type]
            assert conn.execute(sa.text("SELECT 7")).scalar() == 7
            with pytest.raises(psycopg.errors.DivisionByZero):
                copy_text(driver, "COPY (SELECT 1 / (g - 20000) FROM generate_series(1, 40000) g) TO STDOUT")  # type: ignore[arg-type]
            conn.rollback()
            assert conn.execute(sa.text("SELECT 7")).scalar() == 7
    finally:
        engine.dispose()
    assert bytes(text) == "".join(f"{g},\"x,'{g}\"\n" for g in range(1, rows + 1)).encode()
