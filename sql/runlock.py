"""The PostgreSQL side of the nightly run lock: a session advisory lock, who holds it, whether it
is still held by a given connection. (SQLite runs take a lock file instead: ``rkc.runlock``.)"""

from __future__ import annotations

from sqlalchemy import Connection, text

# pg_locks shows an advisory lock taken with one bigint key as classid = its high 32 bits,
# objid = its low 32 bits, objsubid = 1.
_HOLDERS = text(
    "SELECT l.pid, coalesce(a.application_name, ''), a.backend_start FROM pg_locks l"
    " LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1 AND l.granted"
)


def _key(key: int) -> dict[str, int]:
    return {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF}


def name_session(conn: Connection, name: str) -> int:
    """Name this session (``application_name``, what a waiting run reads) and return its backend pid."""
    conn.execute(text("SELECT set_config('application_name', :n, false)"), {"n": name[:63]})
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def try_lock(conn: Connection, key: int) -> bool:
    """Take the session advisory lock ``key`` if it is free."""
    return bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one())


def unlock(conn: Connection, key: int) -> None:
    """Give the session advisory lock ``key`` back."""
    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


def holders(conn: Connection, key: int) -> list[tuple[int, str, object]]:
    """Who holds ``key``: (backend pid, session name, session start) of each holder."""
    return [(int(pid), str(name), started) for pid, name, started in conn.execute(_HOLDERS, _key(key)).all()]


def server_identity(conn: Connection) -> str:
    """This connection's database as its server names it (the database and when the server
    started): the same on every machine that reaches it, whatever host name or address each uses."""
    name, started = conn.execute(text("SELECT current_database(), pg_postmaster_start_time()")).one()
    return f"{name} on the server started {started.isoformat()}"
