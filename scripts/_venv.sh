# Sourced by the scripts: make sure .venv exists and holds the project with the given extras.
# Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed${extras:+-$extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
# The product's bytecode, written ahead: where PYTHONDONTWRITEBYTECODE is set (this machine's
# kind sets it) every `hub` command would otherwise compile its modules again (~0.3 s each).
# Only changed sources are compiled; Python still reads bytecode when it may not write it.
.venv/bin/python -m compileall -q -j 0 hub events workflows channels sandboxes >/dev/null || true
