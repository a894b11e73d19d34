"""What every ``rkc`` command shares: the --home option, the consoles, one-line errors, dates,
Prefect's environment. Command modules import this and nothing else of the command line."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

from parsers.base import BadFile
from rkc.config import Config, ConfigError

P = ParamSpec("P")
R = TypeVar("R")

out = Console()
err = Console(stderr=True)

Home = Annotated[
    Path | None,
    typer.Option("--home", envvar="RKC_HOME", help="Working directory (default: $RKC_HOME or the current one)."),
]


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error and leave with a non-zero exit code."""
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn what a user can get wrong (the configuration, the database URL or a database that does
    not answer, a register file) into one line and exit code 2. Anything raised once the work has
    started keeps its traceback: it may be a bug."""

    @functools.wraps(command)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (ConfigError, BadFile) as exc:
            fail(str(exc))

    return guarded


def home_of(ctx: typer.Context, home: Path | None) -> Path | None:
    """The command's --home, else the one given before the command (``rkc --home DIR run``)."""
    return home or (ctx.obj or {}).get("home")


def parse_date(value: str | None, option: str = "--date") -> date | None:
    """``option`` as a date (None when not given), or one line and exit code 2."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be YYYY-MM-DD, got {value!r}")
    return None


def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM``."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise typer.BadParameter(f"month must be YYYY-MM, got {month!r}")
    first = date.fromisoformat(f"{month}-01")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def prefect_env(home: Path) -> None:
    """Quiet, offline Prefect with its state in the working directory; before any flow import."""
    from flows.offline import quiet_offline

    quiet_offline(home)


def reachable(config: Config) -> Config:
    """The configuration, once its database answers: a wrong URL or a database that is down is one
    line before Prefect starts, not a failed flow run with a traceback."""
    from rkc.context import reachable_engine

    reachable_engine(config).dispose()
    return config
