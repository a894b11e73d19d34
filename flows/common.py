"""What every flow shares: configuration and engine built at run time, retries on I/O only."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from prefect import get_run_logger
from prefect.client.schemas.objects import TaskRun
from prefect.exceptions import MissingContextError
from prefect.states import State

from rkc.config import Config, load_config
from rkc.context import failed_on_io
from sql.engine import make_engine

if TYPE_CHECKING:  # the flows hand engines on; they never use SQLAlchemy themselves
    from sqlalchemy import Engine


def config_and_engine(home: str | None) -> tuple[Config, Engine]:
    """The configuration of ``home`` and an engine on its database (the schema is migrated by the flow)."""
    config = load_config(home)
    return config, make_engine(config.database_url)


def retry_on_io(task: object, task_run: TaskRun, state: State) -> bool:
    """Retry a task only when it failed on I/O (a file or the database connection), never on data."""
    return failed_on_io(state.data)


def run_logger() -> logging.Logger | logging.LoggerAdapter:
    """Prefect's logger of the current run (its lines reach the UI), or the ``rkc.flows`` logger
    when a task's function is called on its own (``intake.fn(...)`` in a test or a script)."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("rkc.flows")
