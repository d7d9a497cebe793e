# Shared environment for the set-up, run and test scripts. Source it; do not run it.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/.venv/bin:$PATH"
export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=false
export NODE_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
[ -f "$ROOT/.tools/bun.env" ] && . "$ROOT/.tools/bun.env"
BUN_BIN="$ROOT/.tools/bun/node_modules/@oven/bun-linux-x64${BUN_VARIANT:-}/bin/bun"
if [ -x "$BUN_BIN" ]; then export REFLEX_BUN_PATH="$BUN_BIN"; fi
