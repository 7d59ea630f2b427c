#!/usr/bin/env bash
# Makes a Python virtual environment hold exactly a requirements file, for the Python test suites
# (test/mlflow, test/schemathesis):
#
#   bash scripts/python-venv.sh <venv dir> <requirements file> <what it is for>
#
# The environment is (re)installed only when the requirements file changed since the last
# install (its SHA-256 is kept inside the venv), so a second run returns at once. Python 3.10 or
# newer is found on PATH (python3.11 first), or named with PYTHON=/path/to/python3.
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 <venv dir> <requirements file> <what it is for>" >&2
  exit 2
fi
venv="$1"
requirements="$2"
label="$3"
stamp="$venv/.entrenar-requirements.sha256"

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3.10 python3; do
    [[ -n "$candidate" ]] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "$label needs Python 3.10 or newer (set PYTHON=/path/to/python3)" >&2
  return 1
}

wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" ]] && "$venv/bin/python" -c 'import sys' 2>/dev/null &&
  [[ "$(cat "$stamp" 2>/dev/null)" == "$wanted" ]]; then
  exit 0
fi
python="$(find_python)"
started=$SECONDS
echo "=== $label: installing $requirements into $venv ($("$python" --version))"
if ! [[ -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
  "$python" -m venv --clear "$venv"
fi
rm -f "$stamp"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements"
echo "$wanted" >"$stamp"
echo "=== $label: installed in $((SECONDS - started)) s"
