"""docs/OPERATIONS.md's deployment steps, run as written against a real Prefect server.

The test reads the fenced block after ``<!-- deployment-steps`` and runs it line by line: ``cd`` and
``export`` lines change the directory and the environment, a line ending in ``&`` starts a
background process (stopped at the end), any other line runs in bash and must exit 0. Only the
places change: a free loopback port for 4200, temporary folders for /srv/rkc, /srv/billing, the key
file and PREFECT_HOME, this checkout for /opt/rkc. After `rkc init` a generated day (registers and
the bank statement in the inbox, billing's export in /srv/billing) arrives, as it would by itself.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from flows.prefect_db import DATABASE_NAME, copy_template
from rkc.config import load_config
from synthetic import generate

ROOT = Path(__file__).resolve().parents[1]
STEP_TIMEOUT = 180  # seconds for one line; the whole block takes about a minute and a half


def deployment_steps() -> list[str]:
    """The commands of the block marked ``deployment-steps`` in docs/OPERATIONS.md, comments removed."""
    text = (ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- deployment-steps[^>]*-->\s*```bash\n(.*?)```", text, flags=re.S)
    if block is None:
        raise AssertionError("docs/OPERATIONS.md has no deployment-steps block")
    lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    """Stop a background step and everything it started (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_the_documented_deployment_runs_the_night(tmp_path: Path) -> None:
    if subprocess.run(["which", "curl"], capture_output=True).returncode != 0:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("curl is needed by the documented steps")
        pytest.skip("curl is not installed (the documented steps wait for the server with it)")
    port = _free_port()
    home, billing, key_file = tmp_path / "rkc", tmp_path / "billing", tmp_path / "signing.key"
    billing.mkdir()
    key_file.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
    key_file.chmod(0o600)
    places = {"/opt/rkc": str(ROOT), "/srv/rkc": str(home), "/srv/billing": str(billing),
              "/etc/rkc/signing.key": str(key_file), "4200": str(port)}  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "RKC_"))}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect-home"), "PATH": f"{Path(sys.executable).parent}:{env['PATH']}"}
    # Not what the steps are about, and ~20 s of waiting: Prefect's migrations of the server's new
    # database (it starts from the migrated empty one, flows/prefect_db.py) and the worker's 10 s
    # between looks at its pool.
    copy_template(tmp_path / "prefect-home" / DATABASE_NAME)  # the server's environment has no PREFECT_ override
    env["PREFECT_WORKER_QUERY_SECONDS"] = "1"
    cwd, background, log = Path.cwd(), [], tmp_path / "background.log"
    try:
        for step in deployment_steps():
            for placeholder, value in places.items():
                step = step.replace(placeholder, value)
            words = shlex.split(step.rstrip("&"))
            if words[0] == "cd":
                cwd = Path(words[1])
            elif words[0] == "export":
                env |= dict(word.split("=", 1) for word in words[1:])
            elif step.endswith("&"):
                background.append(subprocess.Popen(words, cwd=cwd, env=env, stdout=log.open("ab"),
                                                   stderr=subprocess.STDOUT, start_new_session=True))  # fmt: skip
            else:
                done = subprocess.run(["bash", "-c", step], cwd=cwd, env=env, capture_output=True, text=True,
                                      timeout=STEP_TIMEOUT)  # fmt: skip
                assert done.returncode == 0, f"{step}\n{done.stdout}\n{done.stderr}\n{log.read_text()[-3000:]}"
                if "--watch" in words:
                    assert "finished successfully in 'Completed'" in done.stdout, done.stdout
            if words[:2] == ["rkc", "init"]:  # the day's files arrive
                _arrive(home, billing)
    finally:
        for process in reversed(background):  # the worker first, then the server
            _stop(process)
    assert all(p.poll() is not None for p in background)
    run_date = load_config(home).today()
    summary = json.loads((home / "out" / run_date.isoformat() / "run-summary.json").read_text(encoding="utf-8"))
    assert summary["registers"] and all(r["residual"] == "0.00" for r in summary["registers"]), summary
    assert list((home / "archive" / run_date.isoformat()).rglob("*.txt"))  # the registers were read and filed


def _arrive(home: Path, billing: Path) -> None:
    """A small generated day for today's night: registers and the statement in the inbox, billing's
    export beside it for the documented copy."""
    day = generate(home, accounts=20, payments=60, seed=5, run_date=load_config(home).today())
    day.charges_csv.rename(billing / "charges.csv")
    day.suppliers_csv.rename(billing / "suppliers.csv")
