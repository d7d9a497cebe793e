#!/usr/bin/env bash
# One command runs every test: unit, integration (SQLite, and PostgreSQL when available)
# and end to end in Debian's Chromium. Installs what is missing first.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! command -v chromium >/dev/null; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
bash scripts/install.sh
source scripts/env.sh
source scripts/services.sh  # PostgreSQL + Redis for the integration and scale-out suites
# Lint, format and types first: cheap, and what they report is a failure like a test's.
ruff check .
ruff format --check .
mypy epay_app
# pytest-xdist: the e2e tier runs as one scope on one worker (its prod builds share .web) while the
# other worker takes the unit and integration modules (tests/conftest.py); EPAY_TEST_WORKERS=0 runs
# everything in this process, in order.
python -m pytest -n "${EPAY_TEST_WORKERS:-2}" --dist loadscope --durations=30 -rs tests/unit tests/integration tests/e2e "$@"
