"""A new home's Prefect database, started as a copy of an empty one migrated once per Prefect version.

Prefect's temporary server migrates a new ``PREFECT_HOME``'s SQLite database (a hundred-odd
Alembic steps) before it answers: the first night of a new home, every ``rkc demo`` and every
benchmark's night waited for it (docs/PERFORMANCE.md «Session 17»). The migrated empty database
is the same file for every home of one Prefect version, so ``scripts/setup.sh`` builds it once
(``python -m flows.prefect_db``) and ``seed`` copies it into a home that has no database yet;
Prefect then finds its schema at head and migrates nothing. A home that has a database, or a
configuration that names another database or a server, is left alone. Imports no Prefect: it runs
before Prefect is imported (``flows.offline``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from sql.sqlite_files import alembic_revision, settle

DATABASE_NAME = "prefect.db"  # Prefect's default database file in PREFECT_HOME
# Settings that point Prefect elsewhere than its default database in PREFECT_HOME: nothing to seed then.
ELSEWHERE = ("PREFECT_API_URL", "PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL")


def template_path() -> Path | None:
    """Where the migrated empty database of the installed Prefect is kept (the user's cache,
    ``$XDG_CACHE_HOME/rkc``), or None when Prefect is not installed."""
    try:
        release = version("prefect")
    except PackageNotFoundError:
        return None
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "rkc" / f"prefect-{release}.db"


def prefect_home() -> Path:
    """The ``PREFECT_HOME`` Prefect will use (its default when the environment names none)."""
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def is_migrated(path: Path) -> bool:
    """Whether ``path`` is an SQLite database with Alembic's revision recorded (a finished migration)."""
    return alembic_revision(path) is not None


def seed(home: Path | None = None) -> bool:
    """Copy the migrated empty database into ``home`` (default: ``prefect_home()``) when it has no
    database yet and the environment leaves Prefect on its default one; return whether it did."""
    if any(os.environ.get(name) for name in ELSEWHERE):
        return False
    return copy_template((home or prefect_home()) / DATABASE_NAME)


def copy_template(target: Path) -> bool:
    """Put a copy of the migrated empty database at ``target`` if there is none there and the
    template is built; return whether it did. Never replaces a database: the copy is linked into
    place, which fails if one appeared meanwhile."""
    template = template_path()
    if template is None or not is_migrated(template) or target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        copy = Path(scratch) / target.name
        shutil.copyfile(template, copy)
        try:
            os.link(copy, target)
        except FileExistsError:  # another process's server created or seeded it first
            return False
    return True


def build_template(template: Path | None = None) -> Path | None:
    """Migrate an empty Prefect database and keep it as the template (``template_path()``) unless
    a finished one is there already; return its path (None without Prefect). Takes seconds, once."""
    template = template or template_path()
    if template is None or is_migrated(template):
        return template
    template.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=template.parent) as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env |= {"PREFECT_HOME": scratch, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        subprocess.run([sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"],
                       env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        built = Path(scratch) / DATABASE_NAME
        settle(built)  # one self-contained file: no write-ahead log beside it
        if not is_migrated(built):
            raise RuntimeError(f"Prefect's migration left no finished database in {scratch}")
        os.replace(built, template)  # whole or not at all: a reader never sees a half-written template
    return template


if __name__ == "__main__":
    print(f"Prefect's empty database: {build_template()}")
