#!/usr/bin/env bash
# Rewrites requirements.lock: the exact version and hashes of every Python package the app and its
# tests install (scripts/install.sh installs from it with --require-hashes). Run it after changing
# the dependencies in pyproject.toml; `bash scripts/lock.sh --upgrade` also moves every pin to the
# newest release the ranges allow. Review the diff and run the tests before committing it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
UV_VERSION=0.13.8
UV_DIR="$ROOT/.tools/uv-$UV_VERSION"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null || PY=python3
UV="${UV:-$UV_DIR/bin/uv}"  # uv from PyPI, in a venv of its own: the app's venv does not need it
if [ ! -x "$UV" ]; then
  "$PY" -m venv "$UV_DIR"
  "$UV_DIR/bin/python" -m pip install --quiet "uv==$UV_VERSION"
  UV="$UV_DIR/bin/uv"
fi
export SSL_CERT_FILE="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
"$UV" pip compile pyproject.toml --extra test --generate-hashes \
  --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
  --no-header --no-annotate --quiet "$@" -o requirements.lock
echo "requirements.lock: $(grep -c '==' requirements.lock) packages pinned"
