"""Quiet, offline Prefect settings, applied before Prefect is imported.

Prefect reads its settings from the environment once, when it is imported: a variable set later
reaches the temporary server (a child process) but not this process, which then waited Prefect's
default 20 s for the server and kept its own state in ``~/.prefect``. This module imports no
Prefect, so the CLI can call ``quiet_offline`` first.
"""

from __future__ import annotations

import os
from pathlib import Path

QUIET_ENV = {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
# Prefect's temporary server migrates a new PREFECT_HOME's database before it answers, which on a
# slow machine reached Prefect's default limit and would fail a first demo (docs/PERFORMANCE.md).
EPHEMERAL_STARTUP_TIMEOUT = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}


def quiet_offline(home: Path | None = None) -> None:
    """No telemetry, no network beyond loopback; Prefect's state kept inside the working directory.

    Call before Prefect is imported (the CLI does it before importing a flow); a value the
    operator set in the environment wins.
    """
    for key, value in {**QUIET_ENV, **EPHEMERAL_STARTUP_TIMEOUT}.items():
        os.environ.setdefault(key, value)
    if home is not None:
        os.environ.setdefault("PREFECT_HOME", str(Path(home) / ".prefect"))
