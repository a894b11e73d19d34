"""Helpers of the Dask cluster tests: a worker plugin that kills the worker process at a chosen
point of posting, once across the cluster."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin


class KillOnce(WorkerPlugin):
    """In every worker, wrap ``rkc.commit.<point>`` so that the first call across the cluster runs
    it and then kills its own worker process (SIGKILL: no cleanup, no rollback of its own; the
    database ends the transaction when the connection drops). The first caller writes its pid and
    the register's file into ``<marker_dir>/<point>.killed``; the others find the file there and
    go on. ``point``: ``add_discrepancies`` (the register's payments, entries and legs copied and
    its discrepancies written, its transaction not yet committed) or ``file_away`` (committed,
    the file just moved to the archive, where it went not yet recorded)."""

    def __init__(self, marker_dir: str, point: str) -> None:
        self.marker = str(Path(marker_dir) / f"{point}.killed")
        self.point = point
        self.name = f"kill-once-{point}"
        self._real = None

    def setup(self, worker: object) -> None:
        """Wrap the function in this worker process."""
        import rkc.commit

        real = self._real = getattr(rkc.commit, self.point)
        marker = self.marker

        def dying(*args, **kwargs):
            result = real(*args, **kwargs)
            what = args[0].name if isinstance(args[0], Path) else args[1]["file"]
            if len(what) == 0:
                return result
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return result
            os.write(fd, f"{os.getpid()} {what if isinstance(what, str) else what.iloc[0]}\n".encode())
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)
            return result

        setattr(rkc.commit, self.point, dying)

    def teardown(self, worker: object) -> None:
        """Put the real function back."""
        import rkc.commit

        if self._real is not None:
            setattr(rkc.commit, self.point, self._real)


def killed(marker_dir: Path, point: str) -> tuple[int, str] | None:
    """(pid, what) of the worker killed at ``point``, or None if none was."""
    path = marker_dir / f"{point}.killed"
    if not path.exists():
        return None
    pid, what = path.read_text().split(maxsplit=1)
    return int(pid), what.strip()
