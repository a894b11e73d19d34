"""Prefect's temporary server started before the flow's modules are imported (``flows.offline``):
the flow runs on it, Prefect stops it at exit, and nothing starts when Prefect is already set up."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from flows.offline import adopt_temporary_server, start_temporary_server

ROOT = Path(__file__).resolve().parents[1]

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from flows.offline import adopt_temporary_server, quiet_offline, start_temporary_server

    quiet_offline(Path(sys.argv[1]))
    early = start_temporary_server()
    assert "prefect" not in sys.modules and early is not None
    from prefect import flow
    from prefect.server.api.server import SubprocessASGIServer

    adopt_temporary_server(early)

    @flow
    def add(a: int, b: int) -> int:
        return a + b

    print("result", add(2, 3), "same server", SubprocessASGIServer().port == early.port, "pid", early.process.pid)
    """
)


def test_the_flow_runs_on_the_server_started_early_and_it_is_stopped_at_exit(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PYTHONPATH"] = str(ROOT)
    env["XDG_CACHE_HOME"] = str(tmp_path / "no-cache")  # no migrated copy (tests/test_prefect_db.py): Prefect migrates
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    words = done.stdout.split()
    assert words[words.index("result") + 1] == "5" and words[words.index("server") + 1] == "True"
    pid = int(words[words.index("pid") + 1])
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    assert (tmp_path / ".prefect").is_dir()  # the server's state in the home, as without the early start


def test_nothing_is_started_once_prefect_is_imported() -> None:
    import prefect  # noqa: F401 - the tests' Prefect (the harness) is set up already

    assert start_temporary_server() is None
    adopt_temporary_server(None)  # nothing to hand over
