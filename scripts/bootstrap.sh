#!/usr/bin/env bash
# Creates .venv (if needed) and installs the package with its dev tools into it.
# Usage: scripts/bootstrap.sh [extra]   (extra defaults to "dev")
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-dev}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
stamp=".venv/.installed-$extra"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
    .venv/bin/python -m pip install --quiet -e ".[$extra]"
    touch "$stamp"
fi
