"""A generated night for the workbench's tests: the nightly flow run once per module on a database
of its own (SQLite, or a PostgreSQL database created for it), with users of each role."""

from __future__ import annotations

import atexit
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from domain.roles import Role
from rkc.app import import_charges_files
from rkc.config import Config, init_home, load_config
from rkc.users import SessionUser, add_user
from sql.engine import make_engine
from synthetic import generate

PASSWORD = "верный-пароль-123"
TOLERANCE = "150,00"
USERS = {"petrova": "accountant", "smirnov": "senior", "audit": "viewer"}
PG_ADMIN_URL = os.environ.get("RKC_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Night:
    """A home after one generated night, its database URL and engine."""

    config: Config
    url: str
    engine: sa.Engine
    known_account: str  # a ЛС with a ПД, to assign suspense to


def fresh_database(root: Path, dialect: str, name: str, template: str = "") -> str:
    """The URL of a database for a test: a SQLite file under ``root``, or a PostgreSQL database
    ``name`` created afresh, empty or as a copy of ``template`` (skipped without PostgreSQL, failed
    under CI)."""
    return f"sqlite:///{root / 'rkc.db'}" if dialect == "sqlite" else _pg_database(name, template)


def drop_database(dialect: str, name: str) -> None:
    """Drop the PostgreSQL database ``fresh_database`` created (nothing for SQLite)."""
    if dialect == "sqlite":
        return
    admin = sa.create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _pg_database(name: str, template: str = "") -> str:
    try:
        admin = sa.create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"),
                                 isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        admin.dispose()
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not available: {str(exc).splitlines()[0]}")
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def generated_night(root: Path, dialect: str) -> Iterator[Night]:
    """The night of a generated day, with users of each role; its database is dropped after.

    The caller holds the Prefect harness. The first call of a test worker runs the nightly flow and
    keeps a pristine copy (the home, and the database as a file or a PostgreSQL template); later
    calls start from that copy, at the same absolute path, because the database records where files
    were filed. ``root`` only names the worker's temporary directory."""
    work = root.parent / f"web-night-{dialect}-{os.getpid()}"
    name = f"rkc_wb_{dialect}_{os.getpid()}"
    pristine = _PRISTINE.get(dialect)
    if pristine is None:
        pristine = _first_night(work, dialect, name)
        _PRISTINE[dialect] = pristine
    else:
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(pristine.path, work)
    url = fresh_database(work, dialect, name, template=pristine.database)
    engine = make_engine(url)
    yield Night(load_config(work / "home"), url, engine, pristine.known_account)
    engine.dispose()
    drop_database(dialect, name)


@dataclass(frozen=True)
class _Pristine:
    path: Path  # a copy of the night's directory (home and, on SQLite, the database file)
    database: str  # the PostgreSQL template database, "" on SQLite
    known_account: str


_PRISTINE: dict[str, _Pristine] = {}


def _first_night(work: Path, dialect: str, name: str) -> _Pristine:
    """Run the nightly flow on a generated day in ``work``, add the users, keep a pristine copy."""
    from flows.nightly import nightly

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    url = fresh_database(work, dialect, name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RKC_DATABASE_URL", url)
        config, _ = init_home(work / "home")
        with (config.home / "rkc.yaml").open("a", encoding="utf-8") as f:  # some differences close themselves
            f.write(
                f'\nworkbench:\n  informational_tolerance:\n    UNDERPAYMENT: "{TOLERANCE}"\n'
                f'    OVERPAYMENT: "{TOLERANCE}"\n'
            )
        day = generate(config.home, accounts=120, payments=400, seed=11)
        import_charges_files(load_config(config.home), day.charges_csv, day.suppliers_csv)
        nightly(home=str(config.home), run_date=day.run_date)
    engine = make_engine(url)
    for login, role in USERS.items():
        add_user(engine, login, role, PASSWORD)
    engine.dispose()
    lines = day.charges_csv.read_bytes().decode("utf-8", errors="ignore").splitlines()
    known_account = next(line.split(";")[1] for line in lines[1:] if line)
    copy = work.parent / f"{work.name}-pristine"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(work, copy)
    template = ""
    if dialect != "sqlite":
        template = f"{name}_pristine"
        _pg_database(template, template=name)
        atexit.register(drop_database, dialect, template)
    return _Pristine(copy, template, known_account)


def run_night(night: Night, run_date: date) -> dict:
    """Run the nightly flow once more on the night's home for ``run_date`` (under the caller's harness)."""
    from flows.nightly import nightly

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RKC_DATABASE_URL", night.url)
        return nightly(home=str(night.config.home), run_date=run_date)


def session_user(night: Night, login: str, role: str) -> SessionUser:
    """A user of the use cases (no session, no CSRF), created on the night when missing."""
    with night.engine.connect() as conn:
        found = conn.execute(sa.text("SELECT id FROM app_user WHERE login = :l"), {"l": login}).scalar()
    if found is None:
        add_user(night.engine, login, role, PASSWORD)
        with night.engine.connect() as conn:
            found = conn.execute(sa.text("SELECT id FROM app_user WHERE login = :l"), {"l": login}).scalar()
    return SessionUser(int(found), login, Role(role), "")


def fresh_case(night: Night, case: int) -> None:
    """A suspense payment's case in work with its money back in suspense, whatever earlier tests of
    the module did to it (a module shares its night): a pending write-off refused, a posted
    write-off or assignment undone, through the use cases."""
    from rkc import workbench

    resetter = session_user(night, "resetter", "senior")
    with night.engine.connect() as conn:
        waiting = conn.execute(sa.text("SELECT id FROM write_off_request WHERE case_id = :i AND status = 'pending'"),
                               {"i": case}).scalars().all()  # fmt: skip
        status = conn.execute(sa.text("SELECT status FROM work_case WHERE id = :i"), {"i": case}).scalar()
    for request in waiting:
        workbench.refuse_write_off(night.engine, resetter, int(request), "подготовка теста")
    if status == "resolved":
        workbench.undo(night.config, night.engine, resetter, case, "подготовка теста")


def client(night: Night) -> TestClient:
    """An HTTPS test client (the session cookie is Secure) on a fresh app over the night."""
    from rkc.web.app import create_app

    return TestClient(create_app(night.config, night.engine), base_url="https://testserver", follow_redirects=False)


def csrf_of(html: str) -> str:
    """The csrf_token of the first form of a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token on the page"
    return match.group(1)


def logged_in(night: Night, login: str) -> TestClient:
    """A client logged in as ``login``."""
    c = client(night)
    token = csrf_of(c.get("/login").text)
    answer = c.post("/login", data={"username": login, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return c
