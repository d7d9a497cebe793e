# Source it: installs (apt) and starts the local PostgreSQL and Redis the test suite uses,
# then exports EPAY_TEST_PG_URL and EPAY_TEST_REDIS_URL. Without root or sudo it skips them.
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"
_apt_install() {
  if ! dpkg -s "$@" >/dev/null 2>&1; then
    $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
  fi
}
_as_postgres() {
  if [ -z "$SUDO" ]; then su postgres -c "$1"; else sudo -n -u postgres bash -c "$1"; fi
}
_start_postgres() {
  local version cluster
  version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
  cluster="$(pg_lsclusters -h 2>/dev/null | awk -v v="$version" '$1==v {print $2; exit}')"
  if [ -z "$cluster" ]; then $SUDO pg_createcluster "$version" main >/dev/null; cluster=main; fi
  $SUDO pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || true
  local port; port="$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $3}')"
  _as_postgres "psql -p $port -qtA -c \"SELECT 1 FROM pg_roles WHERE rolname='epay'\"" | grep -q 1 \
    || _as_postgres "psql -p $port -q -c \"CREATE ROLE epay LOGIN SUPERUSER PASSWORD 'epay'\""
  _as_postgres "psql -p $port -qtA -c \"SELECT 1 FROM pg_database WHERE datname='epay_test'\"" | grep -q 1 \
    || _as_postgres "createdb -p $port -O epay epay_test"
  # A URL already set (another database on this server, e.g. a second checkout on the machine) is kept.
  export EPAY_TEST_PG_URL="${EPAY_TEST_PG_URL:-postgresql+psycopg://epay:epay@127.0.0.1:$port/epay_test}"
}
_start_redis() {
  local port=6391
  redis-cli -p "$port" ping >/dev/null 2>&1 || redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes >/dev/null
  export EPAY_TEST_REDIS_URL="${EPAY_TEST_REDIS_URL:-redis://127.0.0.1:$port}"
}
if [ -n "$SUDO" ] && ! sudo -n true 2>/dev/null; then
  echo "services.sh: no root or sudo: PostgreSQL and Redis suites are skipped" >&2
else
  _apt_install postgresql redis-server && _start_postgres && _start_redis \
    && echo "PostgreSQL: $EPAY_TEST_PG_URL  Redis: $EPAY_TEST_REDIS_URL"
fi
