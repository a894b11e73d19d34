"""What every flow shares: quiet offline settings, configuration and engine built at run time."""

from __future__ import annotations

import os
from pathlib import Path

from prefect.client.schemas.objects import TaskRun
from prefect.states import State
from sqlalchemy import Engine

from rkc.config import Config, load_config
from sql.engine import make_engine

QUIET_ENV = {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
# Prefect's temporary server migrates a new PREFECT_HOME's database before it answers: 20 s on a
# slow 2-core machine (measured), right at Prefect's default limit, which would fail a first demo.
EPHEMERAL_STARTUP_TIMEOUT = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}


def quiet_offline(home: Path | None = None) -> None:
    """No telemetry, no network beyond loopback; Prefect's state kept inside the working directory.

    Call before Prefect starts (the CLI does it before importing a flow).
    """
    for key, value in {**QUIET_ENV, **EPHEMERAL_STARTUP_TIMEOUT}.items():
        os.environ.setdefault(key, value)
    if home is not None:
        os.environ.setdefault("PREFECT_HOME", str(Path(home) / ".prefect"))


def config_and_engine(home: str | None) -> tuple[Config, Engine]:
    """The configuration of ``home`` and an engine on its database (the schema is migrated by the flow)."""
    config = load_config(home)
    return config, make_engine(config.database_url)


def retry_on_io(task: object, task_run: TaskRun, state: State) -> bool:
    """Retry a task only when it failed on I/O (a file or the database connection), never on data."""
    from sqlalchemy.exc import OperationalError

    error = state.data
    return isinstance(error, OSError | OperationalError)
