"""How ``rkc ledger check`` runs its reads (``sql.ledger_queries``): on two connections, and suspects
confirmed a chunk at a time (its planner settings: ``sql.planner``)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Lock
from typing import TypeVar

from sqlalchemy import Connection, Row, bindparam, text

from sql.engine import is_postgres

T = TypeVar("T")
_CHUNK = 1000  # suspects confirmed this many at a time (SQLite's limit on parameters is far above)


def run_jobs(conn: Connection, jobs: list[Callable[[Connection], T]]) -> list[T]:
    """The results of ``jobs``, in their order. On PostgreSQL a second connection takes the next job
    whenever it is free (two reads at once: PERFORMANCE.md, session 13), unless ``conn``'s
    transaction has written something, which another connection would not see."""
    if len(jobs) < 2 or not is_postgres(conn):
        return [job(conn) for job in jobs]
    if not conn.execute(text("SELECT pg_current_xact_id_if_assigned() IS NULL")).scalar_one():
        return [job(conn) for job in jobs]
    results: dict[int, T] = {}
    lock, pending = Lock(), iter(range(len(jobs)))

    def work(on: Connection) -> None:
        while True:
            with lock:
                index = next(pending, None)
            if index is None:
                return
            results[index] = jobs[index](on)

    def helper() -> None:
        with conn.engine.connect() as second:
            work(second)

    with ThreadPoolExecutor(1) as pool:
        helping = pool.submit(helper)
        try:
            work(conn)
        except BaseException:
            with lock:  # the helper stops after the job it is on
                pending = iter(())
            raise
        helping.result()
    return [results[i] for i in range(len(jobs))]


def confirmed(conn: Connection, query: str, params: dict, ids: list[int]) -> list[Row]:
    """The rows of ``query`` for the suspects ``ids`` (its ``:ids``), a chunk at a time, in order."""
    statement = text(query).bindparams(bindparam("ids", expanding=True))
    rows: list[Row] = []
    for start in range(0, len(ids), _CHUNK):
        rows += conn.execute(statement, {**params, "ids": ids[start : start + _CHUNK]}).all()
    return rows
