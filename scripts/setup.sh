#!/usr/bin/env bash
# Create .venv and install the pinned dependencies and the project. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.rkc-installed
if [[ ! -f $stamp || requirements.lock -nt $stamp || pyproject.toml -nt $stamp ]]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -r requirements.lock
  .venv/bin/python -m pip install --quiet --no-deps -e .
  touch "$stamp"
fi
# Prefect's empty database, migrated once per Prefect version: a new home's first night copies it
# instead of migrating its own (flows/prefect_db.py)
.venv/bin/python -m flows.prefect_db > /dev/null ||
  echo "setup: Prefect's empty database not prepared; a new home's first night migrates its own" >&2
