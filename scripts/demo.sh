#!/usr/bin/env bash
# The main job on the embedded default: set up, then run the whole system on a generated day.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false
exec .venv/bin/rkc demo "$@"
