"""Reading ``COPY … TO STDOUT`` on PostgreSQL without psycopg's per-row cost.

The server sends a message a row; psycopg's ``Copy.read`` (a generator, a wait and a lock a call)
costs ~1 µs a row, the main cost of reading millions of rows. ``copy_blocks`` takes the rows
already received from libpq in a tight loop and asks psycopg only when none is buffered;
``copy_text`` gathers a whole result for a CSV reader (docs/PERFORMANCE.md «Session 16:
statements», «Session 17»).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from psycopg import Connection as PgConnection
from psycopg import Copy, errors, pq


def copy_blocks(driver: PgConnection, copy: Copy, size: int) -> Iterator[bytearray]:
    """The rows of ``copy`` (a ``COPY … TO STDOUT`` under way on ``driver``) in blocks of whole rows
    of at least ``size`` bytes (the last may hold fewer). The server sends a message a row: rows
    already received are taken from libpq in a tight loop, and psycopg's ``Copy.read`` (a generator,
    a wait and a lock a call: ~1 µs a row, the loop's main cost) only waits for the socket when none
    is; the end, when taken here, is finished as psycopg finishes it (the command's result read)."""
    text = bytearray()  # appended in place: a bytes object a row cost a quarter of the loop
    get = driver.pgconn.get_copy_data
    while True:
        nbytes, data = get(1)  # 1: never blocks (0 when no whole row is buffered)
        if nbytes == 0:
            data = copy.read()
            if not data:  # the end, finished by psycopg
                break
        elif nbytes < 0:
            _copy_done(driver)
            break
        text += data
        if len(text) >= size:
            yield text
            text = bytearray()
    if text:
        yield text


def _copy_done(driver: PgConnection) -> None:
    """Read a finished ``COPY TO``'s results; raise the server's error if it failed."""
    results = []
    while (result := driver.pgconn.get_result()) is not None:
        results.append(result)
    for result in results:
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise errors.error_from_result(result, encoding=driver.info.encoding)


def copy_text(driver: PgConnection, statement: str, params: dict | None = None) -> bytearray:
    """All the text ``statement`` (a ``COPY … TO STDOUT``, ``%(name)s`` bound on the client from
    ``params``) sends, in one buffer (a CSV reader takes it as it is: ``pa.py_buffer``)."""
    with driver.cursor() as cursor, cursor.copy(statement, params or None) as copy:
        return next(copy_blocks(driver, copy, sys.maxsize), bytearray())  # one block: the whole result
