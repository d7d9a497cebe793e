#!/usr/bin/env bash
# One command for a newcomer: install, migrate, seed the demo (if empty) and run the app in
# production mode on the embedded defaults (SQLite, local PSP sandbox, local mail sink).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/install.sh
source scripts/env.sh

PORT="${EPAY_PORT:-3000}"
# The demo: seeded demo accounts, the sandbox's public keys, the mailbox page. The app itself
# defaults to production (EPAY_DEMO=false), which refuses to start with any of those.
export EPAY_DEMO="${EPAY_DEMO:-true}"
export REFLEX_DB_URL="${REFLEX_DB_URL:-sqlite:///$ROOT/epay.db}"
export EPAY_PUBLIC_URL="${EPAY_PUBLIC_URL:-http://localhost:$PORT}"
export REFLEX_API_URL="${REFLEX_API_URL:-$EPAY_PUBLIC_URL}"
export EPAY_PSP_PAYPAGE_URL="${EPAY_PSP_PAYPAGE_URL:-http://127.0.0.1:8900}"
export EPAY_PSP_OFFICE_URL="${EPAY_PSP_OFFICE_URL:-http://127.0.0.1:8900}"
export EPAY_DIRECT_API_URL="${EPAY_DIRECT_API_URL:-http://127.0.0.1:8900}"
export EPAY_SMTP_PORT="${EPAY_SMTP_PORT:-8025}"
if [ -z "${EPAY_MASTER_KEYS:-}" ] && [ ! -f "$ROOT/.epay_master_key" ]; then
  echo "Aucune clé maître (EPAY_MASTER_KEYS) : une clé locale est créée dans $ROOT/.epay_master_key"
fi

reflex db migrate
python -m epay_app.seed --activity

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill -- "-$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
mkdir -p "$ROOT/.logs"
if python -c "import epay_app.psp.sandbox" 2>/dev/null; then
  setsid python -m epay_app.psp.sandbox --port 8900 >"$ROOT/.logs/sandbox.log" 2>&1 & PIDS+=($!)
  echo "PSP sandbox (Worldline Direct et Sips 2.0) : http://127.0.0.1:8900 (journal .logs/sandbox.log)"
fi
if python -c "import epay_app.emails.sink" 2>/dev/null; then
  setsid python -m epay_app.emails.sink --port "$EPAY_SMTP_PORT" >"$ROOT/.logs/mail-sink.log" 2>&1 & PIDS+=($!)
  echo "Boîte mail de démo (SMTP 127.0.0.1:$EPAY_SMTP_PORT) : $EPAY_PUBLIC_URL/demo/mails"
fi
echo
echo "e-Paiement : $EPAY_PUBLIC_URL  (Ctrl+C pour arrêter)"
echo
# Loopback unless told otherwise (EPAY_HOST=0.0.0.0 to open it to the network, knowingly).
reflex run --env prod --frontend-port "$PORT" --backend-host "${EPAY_HOST:-127.0.0.1}"
