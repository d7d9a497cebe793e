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
# The e2e tier (Chromium and app servers, mostly waiting) runs in a pytest process of its own,
# beside the unit and integration tests: about half the time on two cores, and no Playwright event
# loop in the process whose integration package checks that no SQL runs on an event loop. Both
# run to the end; the run fails if either failed.
e2e_log="$(mktemp)"
python -m pytest tests/e2e -rs --durations=15 "$@" >"$e2e_log" 2>&1 &
e2e_pid=$!
rc=0
python -m pytest tests/unit tests/integration -rs --durations=15 "$@" || rc=$?
e2e_rc=0
wait "$e2e_pid" || e2e_rc=$?
echo "---------------------------------------------------------------- tests/e2e (ran alongside)"
cat "$e2e_log"
rm -f "$e2e_log"
[ "$rc" = 5 ] && rc=0          # "no tests collected" in one half (a -k filter): not a failure
[ "$e2e_rc" = 5 ] && e2e_rc=0
echo "unit + integration: exit $rc · e2e: exit $e2e_rc"
[ "$rc" = 0 ] && [ "$e2e_rc" = 0 ]
