#!/usr/bin/env bash
# Production-like run on one machine: PostgreSQL + Redis + several backend workers
# (default 3), plus the PSP sandbox and the mail sink. Uses REFLEX_DB_URL / REFLEX_REDIS_URL
# when given, otherwise starts local ones (scripts/services.sh, needs root or sudo).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
bash scripts/install.sh
source scripts/env.sh
if [ -z "${REFLEX_DB_URL:-}" ] || [ -z "${REFLEX_REDIS_URL:-}" ]; then
  source scripts/services.sh
  export REFLEX_DB_URL="${REFLEX_DB_URL:-$EPAY_TEST_PG_URL}"
  export REFLEX_REDIS_URL="${REFLEX_REDIS_URL:-$EPAY_TEST_REDIS_URL}"
fi
PORT="${EPAY_PORT:-3000}"
# The demo: seeded demo accounts, the sandbox's public keys, the mailbox page. The app itself
# defaults to production (EPAY_DEMO=false), which refuses to start with any of those.
export EPAY_DEMO="${EPAY_DEMO:-true}"
export GRANIAN_WORKERS="${EPAY_WORKERS:-3}"
export EPAY_PUBLIC_URL="${EPAY_PUBLIC_URL:-http://localhost:$PORT}"
export REFLEX_API_URL="${REFLEX_API_URL:-$EPAY_PUBLIC_URL}"
reflex db migrate
python -m epay_app.seed --activity
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill -- "-$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
mkdir -p .logs
setsid python -m epay_app.psp.sandbox --port 8900 >.logs/sandbox.log 2>&1 & PIDS+=($!)
setsid python -m epay_app.emails.sink --port "${EPAY_SMTP_PORT:-8025}" >.logs/mail-sink.log 2>&1 & PIDS+=($!)
# The periodic jobs and the mails (PDF receipts) in a process of their own, below the web workers'
# priority: rendering holds the GIL, which would slow the live pages of a web worker running it.
export EPAY_JOBS_IN_WEB=false
setsid nice -n 19 python -m epay_app.services.payment.payment_jobs >.logs/jobs.log 2>&1 & PIDS+=($!)
echo "e-Paiement ($GRANIAN_WORKERS workers, $REFLEX_DB_URL, $REFLEX_REDIS_URL) : $EPAY_PUBLIC_URL"
# Loopback unless told otherwise (EPAY_HOST=0.0.0.0 to open it to the network, knowingly).
reflex run --env prod --frontend-port "$PORT" --backend-host "${EPAY_HOST:-127.0.0.1}"
