"""Quiet, offline Prefect settings, applied before Prefect is imported.

Prefect reads its settings from the environment once, when it is imported: a variable set later
reaches the temporary server (a child process) but not this process, which then waited Prefect's
default 20 s for the server and kept its own state in ``~/.prefect``. This module imports no
Prefect, so the CLI can call ``quiet_offline`` first.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from flows.prefect_db import seed

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


@dataclass
class EarlyServer:
    """Prefect's temporary server, started before the flow's modules are imported."""

    process: subprocess.Popen
    port: int


def start_temporary_server() -> EarlyServer | None:
    """Start Prefect's temporary server now, as Prefect would start it at the flow's call, so that it
    boots (imports, migrates a new ``PREFECT_HOME``) while this process imports the flow's modules:
    the two took 7–8 s and ~4 s one after the other (docs/PERFORMANCE.md «Session 13»); a new
    ``PREFECT_HOME`` gets the migrated empty database first (``flows.prefect_db.seed``). Nothing when
    the environment names a server (``PREFECT_API_URL``). Call after ``quiet_offline``, before
    Prefect is imported; hand the result to ``adopt_temporary_server``."""
    if os.environ.get("PREFECT_API_URL") or "prefect" in sys.modules:  # a server named, or Prefect set up already
        return None
    spec = importlib.util.find_spec("prefect")  # located, not imported
    if spec is None or not spec.submodule_search_locations:
        return None
    seed()  # a new PREFECT_HOME starts from the migrated empty database instead of migrating its own
    port = _free_port()
    app_dir = str(Path(next(iter(spec.submodule_search_locations))).parent)
    # What Prefect's own ``SubprocessASGIServer`` runs, with the environment it gives it.
    command = [sys.executable, "-m", "uvicorn", "--app-dir", app_dir, "--factory",
               "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "error", "--lifespan", "on"]  # fmt: skip
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    return EarlyServer(subprocess.Popen(command, env=env), port)  # noqa: S603 - our interpreter, fixed arguments


def adopt_temporary_server(early: EarlyServer | None) -> None:
    """Wait until the early server answers and hand it to Prefect as its temporary server (Prefect
    then uses and stops it as its own). If it died (its port taken meanwhile) or a server is named
    after all, it is stopped and Prefect starts its own at the flow's call, as without it."""
    if early is None:
        return
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

    server = SubprocessASGIServer()
    timeout = PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()
    if PREFECT_API_URL.value() or server.running or not _answers(early, timeout):
        _stop(early.process)
        return
    server.port, server.server_process, server.running = early.port, early.process, True
    atexit.register(server.stop)


def _answers(early: EarlyServer, timeout: float) -> bool:
    """Whether the server answers its health check before ``timeout`` seconds (False once it exits)."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{early.port}/api/health"
    while time.monotonic() < deadline and early.process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def _stop(process: subprocess.Popen) -> None:
    """Stop a server process that is not handed to Prefect."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _free_port() -> int:
    """A loopback port free now, from the range Prefect picks its temporary server's from."""
    for _ in range(50):
        port = random.randrange(8000, 9000)  # noqa: S311 - a port, not a secret
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for Prefect's temporary server")
