#!/usr/bin/env bash
# Makes a PostgreSQL server available for the test suite and prints its admin URL.
# Uses ENTRENAR_TEST_DATABASE_URL when set; otherwise starts the machine's PostgreSQL 15 cluster
# (as root, through pg_ctlcluster) and creates a test role that may create databases.
set -euo pipefail
# runuser and the cluster tools live in sbin, which a minimal PATH (cron, env -i) leaves out.
export PATH="$PATH:/usr/sbin:/sbin"

if [[ -n "${ENTRENAR_TEST_DATABASE_URL:-}" ]]; then
  echo "$ENTRENAR_TEST_DATABASE_URL"
  exit 0
fi

role=entrenar_test
password=entrenar_test
url="postgres://${role}:${password}@127.0.0.1:5432/postgres"

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "PostgreSQL is not running on 127.0.0.1:5432 and pg_ctlcluster is not installed." >&2
    echo "Start PostgreSQL or set ENTRENAR_TEST_DATABASE_URL=postgres://user:pass@host:port/db (a role that may CREATE DATABASE)." >&2
    exit 1
  fi
  version=$(pg_lsclusters --no-header | awk 'NR==1 {print $1}')
  cluster=$(pg_lsclusters --no-header | awk 'NR==1 {print $2}')
  pg_ctlcluster "$version" "$cluster" start >&2
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
fi

run_psql() {
  if [[ "$(id -u)" == "0" ]]; then
    runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtAX "$@"
  else
    psql -v ON_ERROR_STOP=1 -qtAX "$@"
  fi
}

if [[ "$(run_psql -c "SELECT 1 FROM pg_roles WHERE rolname = '${role}'")" != "1" ]]; then
  run_psql -c "CREATE ROLE ${role} LOGIN CREATEDB PASSWORD '${password}'" >&2
fi
# The tests drop their databases WITH (FORCE); an autovacuum worker busy in one (it belongs to no
# role) may only be terminated by a member of pg_signal_backend, or the drop fails under load.
if [[ "$(run_psql -c "SELECT pg_has_role('${role}', 'pg_signal_backend', 'MEMBER')")" != "t" ]]; then
  run_psql -c "GRANT pg_signal_backend TO ${role}" >&2
fi
echo "$url"
