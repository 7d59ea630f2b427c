#!/usr/bin/env bash
# The MLflow client suite: the real `mlflow` Python client against a real `entrenar server`, on
# SQLite and then on PostgreSQL. `npm test` runs it after Jest; it builds nothing (npm test builds
# dist/ first).
#
#   bash test/mlflow/run.sh                     # both databases
#   bash test/mlflow/run.sh --only sqlite       # or postgres
#   bash test/mlflow/run.sh --setup-only        # create/refresh .venv and stop
#   bash test/mlflow/run.sh -- -k search -x     # anything after -- goes to pytest
#
# The virtual environment is .venv at the repository root (git-ignored). It is (re)installed only
# when test/mlflow/requirements.txt changed since the last install (a hash kept inside .venv), so a
# second run starts at once. PostgreSQL: the admin URL from ENTRENAR_TEST_DATABASE_URL, else the
# one scripts/ensure-postgres.sh prints (it starts the machine's cluster when needed); each server
# gets a fresh database, dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."

only=""
setup_only=false
pytest_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only)
      only="${2:-}"
      shift 2 || { echo "--only needs sqlite or postgres" >&2; exit 2; }
      ;;
    --setup-only) setup_only=true; shift ;;
    --) shift; pytest_args=("$@"); break ;;
    *) echo "unknown argument: $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
if [[ -n "$only" && "$only" != sqlite && "$only" != postgres ]]; then
  echo "--only takes sqlite or postgres, not '$only'" >&2
  exit 2
fi

venv=.venv
requirements=test/mlflow/requirements.txt
bash scripts/python-venv.sh "$venv" "$requirements" "MLflow suite"
if $setup_only; then
  exit 0
fi

if [[ ! -f dist/src/main.js ]]; then
  echo "dist/ is not built: run \`npm run build\` (npm test does it first)" >&2
  exit 1
fi

echo "=== ruff: lint and format check of test/mlflow and its storage helper in test/support"
"$venv/bin/ruff" check --no-cache --quiet test/mlflow
"$venv/bin/ruff" format --no-cache --check --quiet test/mlflow
"$venv/bin/ruff" check --no-cache --quiet --config test/mlflow/ruff.toml test/support/entrenar_storage.py
"$venv/bin/ruff" format --no-cache --check --quiet --config test/mlflow/ruff.toml test/support/entrenar_storage.py

run_suite() {
  local db="$1"
  echo
  echo "=== pytest: the real MLflow client on $db"
  # pytest's exit code 5 (no test collected) is a failure here too.
  ENTRENAR_TEST_DB="$db" "$venv/bin/python" -m pytest test/mlflow ${pytest_args[@]+"${pytest_args[@]}"}
}

failed=()
if [[ -z "$only" || "$only" == sqlite ]]; then
  run_suite sqlite || failed+=(sqlite)
fi
if [[ -z "$only" || "$only" == postgres ]]; then
  url="$(bash scripts/ensure-postgres.sh)"
  ENTRENAR_TEST_DATABASE_URL="$url" run_suite postgres || failed+=(postgres)
fi

if [[ ${#failed[@]} -gt 0 ]]; then
  echo
  echo "=== MLflow suite FAILED on: ${failed[*]}"
  exit 1
fi
echo
echo "=== MLflow suite passed"
