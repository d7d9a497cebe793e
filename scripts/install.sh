#!/usr/bin/env bash
# Installs what the app needs on a Debian 12 machine with Python 3.11 and node 20:
# the virtualenv with the Python packages, and the bun binary Reflex pins (from npm).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# Exactly the versions CI tested, checked against their hashes (requirements.lock, written from
# pyproject.toml's ranges by `bash scripts/lock.sh`). The project itself is not installed: it runs
# from its folder, so a checkout or a worktree uses its own code.
.venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock
.venv/bin/python -m pip check

# bun: the exact version Reflex pins, from the npm registry (no installer script).
BUN_VERSION="$(.venv/bin/python -c 'from reflex_base.constants import Bun; print(Bun.VERSION)')"
VARIANT=""
grep -qw avx2 /proc/cpuinfo || VARIANT="-baseline"
BUN_DIR="$ROOT/.tools/bun"
BUN_BIN="$BUN_DIR/node_modules/@oven/bun-linux-x64$VARIANT/bin/bun"
if [ ! -x "$BUN_BIN" ] || [ "$("$BUN_BIN" --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  mkdir -p "$BUN_DIR"
  export NODE_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
  npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$BUN_DIR" \
    "@oven/bun-linux-x64$VARIANT@$BUN_VERSION"
  chmod +x "$BUN_BIN"
fi
echo "bun $("$BUN_BIN" --version) at $BUN_BIN"
echo "BUN_VARIANT=$VARIANT" > .tools/bun.env

# axe-core: the accessibility engine the end-to-end tests inject into each page (tests/e2e).
AXE_VERSION="4.14.1"
AXE_DIR="$ROOT/.tools/axe"
if ! grep -qs "\"version\": \"$AXE_VERSION\"" "$AXE_DIR/node_modules/axe-core/package.json"; then
  mkdir -p "$AXE_DIR"
  npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$AXE_DIR" "axe-core@$AXE_VERSION"
fi
