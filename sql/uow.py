"""Unit of work: one connection, one transaction, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine


class UnitOfWork:
    """Open a transaction on enter; ``commit()`` keeps it, anything else rolls it back.

    >>> with UnitOfWork(engine) as uow:
    ...     post_register(uow.conn, ...)
    ...     uow.commit()
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self.committed = False

    @property
    def conn(self) -> Connection:
        """The connection of the open transaction."""
        if self._conn is None:
            raise RuntimeError("unit of work is not open")
        return self._conn

    def __enter__(self) -> UnitOfWork:
        self._conn = self.engine.connect()
        self._conn.begin()
        self.committed = False
        return self

    def commit(self) -> None:
        """Commit the transaction; later work in this unit starts a new one."""
        self.conn.commit()
        self.committed = True
        self.conn.begin()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn = self.conn
        try:
            conn.rollback()  # a no-op for work already committed
        finally:
            conn.close()
            self._conn = None
