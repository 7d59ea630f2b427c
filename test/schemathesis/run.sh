#!/usr/bin/env bash
# The OpenAPI conformance run: schemathesis generates a few thousand requests from /docs-json and
# sends them to a real `entrenar server` (API-key authentication on), on SQLite and then on
# PostgreSQL; any 5xx, or any status, content type, header or body the document does not declare,
# fails it. `npm test` runs it after Jest; it builds nothing (npm test builds dist/ first).
#
#   bash test/schemathesis/run.sh                    # both databases
#   bash test/schemathesis/run.sh --only sqlite      # or postgres
#   bash test/schemathesis/run.sh --setup-only       # create/refresh .venv-schemathesis and stop
#   bash test/schemathesis/run.sh -- --max-examples 5 --phases fuzzing   # more `st run` arguments
#
# Settings (seed, bounds, checks) are in test/schemathesis/schemathesis.toml; the server's start,
# the counts and the extra guards in conformance.py. The virtual environment is
# .venv-schemathesis at the repository root (git-ignored), (re)installed only when
# test/schemathesis/requirements.txt changed since the last install (a hash kept inside it).
# PostgreSQL: the admin URL from ENTRENAR_TEST_DATABASE_URL, else the one
# scripts/ensure-postgres.sh prints; each server gets a fresh database, dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."

only=""
setup_only=false
st_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only)
      only="${2:-}"
      shift 2 || { echo "--only needs sqlite or postgres" >&2; exit 2; }
      ;;
    --setup-only) setup_only=true; shift ;;
    --) shift; st_args=("$@"); break ;;
    *) echo "unknown argument: $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
if [[ -n "$only" && "$only" != sqlite && "$only" != postgres ]]; then
  echo "--only takes sqlite or postgres, not '$only'" >&2
  exit 2
fi

venv=.venv-schemathesis
requirements=test/schemathesis/requirements.txt
bash scripts/python-venv.sh "$venv" "$requirements" "schemathesis"
if $setup_only; then
  exit 0
fi

if [[ ! -f dist/src/main.js ]]; then
  echo "dist/ is not built: run \`npm run build\` (npm test does it first)" >&2
  exit 1
fi

echo "=== ruff: lint and format check of test/schemathesis"
"$venv/bin/ruff" check --no-cache --quiet test/schemathesis
"$venv/bin/ruff" format --no-cache --check --quiet test/schemathesis

failed=()
if [[ -z "$only" || "$only" == sqlite ]]; then
  "$venv/bin/python" test/schemathesis/conformance.py sqlite -- ${st_args[@]+"${st_args[@]}"} || failed+=(sqlite)
fi
if [[ -z "$only" || "$only" == postgres ]]; then
  url="$(bash scripts/ensure-postgres.sh)"
  ENTRENAR_TEST_DATABASE_URL="$url" "$venv/bin/python" test/schemathesis/conformance.py postgres -- \
    ${st_args[@]+"${st_args[@]}"} || failed+=(postgres)
fi

if [[ ${#failed[@]} -gt 0 ]]; then
  echo
  echo "=== schemathesis FAILED on: ${failed[*]}"
  exit 1
fi
echo
echo "=== schemathesis passed"
