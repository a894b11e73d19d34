#!/usr/bin/env bash
# The test command: set up on a fresh machine, lint, then run the whole suite on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false
.venv/bin/ruff check .
.venv/bin/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder "$@"
