#!/usr/bin/env bash
# Installs (if needed) and starts a local PostgreSQL for the store tests, on Debian 12 as root.
# Idempotent and non-interactive: safe to run on every CI job or dev container start.
#
# Progress goes to stderr; the last line on stdout is the connection string, so a caller can do
#   export "$(scripts/ci-postgres.sh | tail -n 1)"
#   npx jest test/store
set -euo pipefail

readonly DB_ROLE=joblog
readonly DB_PASSWORD=joblog
readonly DB_NAME=joblog_test
readonly DB_HOST=127.0.0.1
readonly DB_PORT=5432

log() { printf 'ci-postgres: %s\n' "$*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
  log "must run as root (it installs packages and manages the cluster)"
  exit 1
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  log "installing PostgreSQL (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends postgresql >&2
fi

# Debian installs one cluster per major version under /etc/postgresql/<version>/<name>;
# take the newest version that has a "main" cluster rather than hard-coding 15.
pg_version=""
if [[ -d /etc/postgresql ]]; then
  pg_version=$(find /etc/postgresql -mindepth 2 -maxdepth 2 -type d -name main -printf '%h\n' \
    | xargs -r -n1 basename | sort -V | tail -n 1)
fi
if [[ -z ${pg_version} ]]; then
  log "no cluster found under /etc/postgresql; creating one"
  pg_version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n 1)
  pg_createcluster "${pg_version}" main >&2
fi
log "using PostgreSQL ${pg_version} cluster main"

# pg_lsclusters prints "<version> <cluster> <port> <status> ..."; status is "online" when running.
cluster_status=$(pg_lsclusters --no-header | awk -v v="${pg_version}" '$1 == v && $2 == "main" { print $4 }')
if [[ ${cluster_status} == online* ]]; then
  log "cluster already running"
else
  log "starting cluster (was: ${cluster_status:-unknown})"
  pg_ctlcluster "${pg_version}" main start >&2
fi

log "waiting for the server to accept connections on ${DB_HOST}:${DB_PORT}"
for attempt in $(seq 1 60); do
  if pg_isready -q -h "${DB_HOST}" -p "${DB_PORT}"; then
    break
  fi
  if [[ ${attempt} -eq 60 ]]; then
    log "server not ready after 60s; see /var/log/postgresql/postgresql-${pg_version}-main.log"
    exit 1
  fi
  sleep 1
done

# Runs SQL as the postgres superuser over the local socket (peer authentication).
# cd / first: psql warns when the postgres user cannot read the current directory.
as_postgres_psql() {
  (cd / && runuser -u postgres -- psql -v ON_ERROR_STOP=1 -X -q -t -A -p "${DB_PORT}" "$@")
}

if [[ $(as_postgres_psql -c "SELECT 1 FROM pg_roles WHERE rolname = '${DB_ROLE}'") == 1 ]]; then
  log "role ${DB_ROLE} exists"
else
  log "creating role ${DB_ROLE}"
  as_postgres_psql -c "CREATE ROLE ${DB_ROLE} LOGIN PASSWORD '${DB_PASSWORD}'"
fi

if [[ $(as_postgres_psql -c "SELECT 1 FROM pg_database WHERE datname = '${DB_NAME}'") == 1 ]]; then
  log "database ${DB_NAME} exists"
else
  log "creating database ${DB_NAME}"
  as_postgres_psql -c "CREATE DATABASE ${DB_NAME} OWNER ${DB_ROLE}"
fi

log "ready"
echo "TEST_DATABASE_URL=postgres://${DB_ROLE}:${DB_PASSWORD}@${DB_HOST}:${DB_PORT}/${DB_NAME}"
