"""CPU seconds a benchmark's PostgreSQL backends used (this machine's server: each backend's /proc stat)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import sqlalchemy as sa


class ServerCpu:
    """CPU seconds the server's backends of database ``db`` used while it runs (this machine's
    PostgreSQL: each backend's /proc stat, polled every 0.2 s; a backend's last reading counts)."""

    def __init__(self, url: str, db: str) -> None:
        self.url, self.db, self.seen, self.stop = url, db, {}, threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> ServerCpu:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def seconds(self) -> float:
        """The backends' user and system CPU, in seconds."""
        return sum(self.seen.values()) / os.sysconf("SC_CLK_TCK")

    def _poll(self) -> None:
        engine = sa.create_engine(self.url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            me = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            while not self.stop.wait(0.2):
                pids = conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> :me"),
                                    {"d": self.db, "me": me}).scalars().all()  # fmt: skip
                conn.rollback()
                for pid in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.seen[pid] = int(fields[11]) + int(fields[12])  # utime, stime
        engine.dispose()
