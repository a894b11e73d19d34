"""Shared fixtures: engines on SQLite and PostgreSQL, the shared samples directory.

PostgreSQL tests use a database of their own per test worker, created on first use and emptied
between tests. Where PostgreSQL is unreachable they skip with the reason, except in CI
(``CI=true``), where they fail: CI must test both databases.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from rkc.memory import name_arrow_allocator

name_arrow_allocator()  # the tests' entry point: before the imports below load pyarrow

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from hypothesis import settings  # noqa: E402

from flows.prefect_db import copy_template  # noqa: E402
from sql.engine import make_engine, migrate  # noqa: E402
from sql.models import Base  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Beside the main checkout; a git worktree elsewhere names them with RKC_SAMPLES.
SAMPLES = Path(os.environ.get("RKC_SAMPLES") or ROOT.parent / "shared" / "samples")
PG_ADMIN_URL = os.environ.get("RKC_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# The workers' Prefect server (``harness``, a subprocess that inherits this environment) without the
# event services no test reads: the event persister (every task's state changes written to its
# SQLite file again as events), the reactive triggers with their actions (no automations here) and
# the stream out. On an overloaded machine (load 7–8) they cost a generated night ~2 s of CPU in the
# tests' process and the server's and doubled its wall time; at load 3 nothing measurable
# (docs/PERFORMANCE.md «Session 16: the test suite's CPU»). Flow and task runs are still
# recorded (the task run recorder stays). The servers test_deployment and test_early_server start
# drop PREFECT_* from their environment and keep Prefect's defaults.
for _service in ("SERVICES_EVENT_PERSISTER", "SERVICES_TRIGGERS", "EVENTS_STREAM_OUT"):
    os.environ.setdefault(f"PREFECT_SERVER_{_service}_ENABLED", "false")
# Runs sign their manifests; the tests' key (a test of a missing key takes it away itself).
os.environ.setdefault("RKC_SIGNING_KEY", "rkc-tests-signing-key-0123456789abcdef")
# No timed tests: hypothesis' per-example deadline failed a test only because CI's machine was busy.
settings.register_profile("rkc", deadline=None)
settings.load_profile("rkc")


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """argon2 at its lowest cost in the tests' own process: still argon2, verified the same way, but
    the default cost per hash and per login adds up over the suite's thousands of users and logins."""
    from argon2 import PasswordHasher

    from rkc import users

    saved = users._hasher, users._DUMMY
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    users._DUMMY = users._hasher.hash("rkc-no-such-user")
    yield
    users._hasher, users._DUMMY = saved


@pytest.fixture(scope="session")
def harness() -> Iterator[None]:
    """One temporary Prefect server per test worker for every flow test (starting one costs seconds)."""
    import prefect.testing.utilities
    from prefect.logging.configuration import setup_logging
    from prefect.testing.utilities import prefect_test_harness

    # Prefect's console handler binds the stream it finds when logging is first set up; set up inside
    # CliRunner.invoke, that is the runner's buffer, closed when the invocation ends, and the next
    # flow's log lines then failed on it (RecursionError). Set up here, it binds pytest's stream.
    setup_logging()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(prefect.testing.utilities, "mkdtemp", _with_migrated_database)
        with prefect_test_harness(server_startup_timeout=120):
            yield


def _with_migrated_database(*args: object, **kwargs: object) -> str:
    """The harness's temporary directory, holding a copy of Prefect's migrated empty database
    (``flows.prefect_db``) under the name the harness gives its database: its server then starts
    in ~5 s instead of ~11 s of migrations. Without the copy (no template) it migrates as before."""
    folder = tempfile.mkdtemp(*args, **kwargs)  # type: ignore[call-overload]
    copy_template(Path(folder) / "prefect-test.db")
    return folder


@pytest.fixture(scope="module")
def reference_night(harness, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """The balances and the result of tests.test_flow_nightly's generated day, its night run
    undisturbed on SQLite, reading one file at a time, once per module: each variant of that night
    (two files at a time, killed and rerun, run twice at once, on either database) must end with
    this ledger."""
    from tests.test_flow_nightly import undisturbed_night

    with pytest.MonkeyPatch.context() as patch:
        return undisturbed_night(tmp_path_factory.mktemp("reference"), patch)


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The shared specification samples (../shared/samples); skip when absent."""
    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture(scope="session")
def xsd_dir(samples_dir: Path) -> Path:
    """The official ГИС ЖКХ XSD bundle in the shared samples."""
    path = samples_dir / "gis-zhkh-xsd-14.4.0.1"
    if not path.is_dir():
        pytest.skip(f"ГИС ЖКХ XSD bundle not found at {path}")
    return path


def _pg_unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(scope="session")
def pg_url(worker_id: str) -> Iterator[str]:
    """URL of a freshly created, migrated PostgreSQL database for this test worker."""
    name = f"rkc_test_{worker_id}_{os.getpid()}"
    try:
        admin = sa.create_engine(
            PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        _pg_unavailable(str(exc).splitlines()[0])
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """xdist worker name, or ``main`` without xdist."""
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


def _empty_all(engine: sa.Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(sa.text(f"DELETE FROM {table}"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head by Alembic once per test worker, for ``db_url`` to copy: a
    fresh migration costs ~0.45 s of CPU, a copy under a millisecond, and ~280 tests each want one."""
    path = tmp_path_factory.mktemp("sqlite-template") / "rkc.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection closed checkpoints the WAL into the file and removes it
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database URL, once on SQLite and once on PostgreSQL.

    On SQLite a copy of the worker's migrated template; a test marked ``alembic`` (the tests of the
    migrations themselves) gets its file migrated by Alembic there and then instead."""
    if request.param == "sqlite":
        path = tmp_path / "rkc.db"
        if request.node.get_closest_marker("alembic"):
            engine = make_engine(f"sqlite:///{path}")
            migrate(engine)
            engine.dispose()
        else:
            template = request.getfixturevalue("sqlite_template")
            for suffix in ("", "-wal"):  # a WAL left behind (a close that could not checkpoint) goes too
                if suffix == "" or Path(f"{template}{suffix}").exists():
                    shutil.copyfile(f"{template}{suffix}", f"{path}{suffix}")
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    _empty_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def pg_empty_url(pg_url: str) -> str:
    """The worker's PostgreSQL database, emptied for a test that runs on PostgreSQL only."""
    engine = make_engine(pg_url)
    _empty_all(engine)
    engine.dispose()
    return pg_url


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    """An engine on the migrated, empty database of ``db_url``."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


# Modules of a few long tests, handed out first (chosen by their junit seconds in one -n 2 run,
# docs/PERFORMANCE.md «Session 24», its suite). pytest-xdist's loadfile gives the files to its
# workers in the order collected; its default reordering by count of tests put exactly these last,
# and the suite ended with one worker running the documented deployment (~65 s) and the other idle.
LONGEST_MODULES = (
    "test_deployment.py", "test_month_money_out.py", "test_web_month.py", "test_flow_cluster.py",
    "test_ledger_properties.py", "test_refunds_properties.py", "test_console_bridge.py",
    "test_reports_print.py", "test_early_server.py", "test_prefect_db.py", "test_payouts_properties.py",
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest modules first, then the others by their count of tests, most first (what
    pytest-xdist's own reordering did; ``scripts/test.sh`` turns that off to keep this order); a
    module's tests stay in their order."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.path.name] = counts.get(item.path.name, 0) + 1
    rank = {name: k for k, name in enumerate(LONGEST_MODULES)}
    items.sort(key=lambda item: (rank.get(item.path.name, len(rank)), -counts[item.path.name], str(item.path)))
