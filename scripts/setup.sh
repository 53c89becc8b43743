#!/usr/bin/env bash
# Creates .venv (Python 3.11+) and installs the pinned requirements file given as $1,
# reinstalling only when that file changed. Sourced by scripts/run and scripts/test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="${1:-requirements.txt}"
pick_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11, 4) else 1)'; then
      echo "$candidate"; return 0
    fi
  done
  echo "需要 Python 3.11.4 或更新版本 (Python 3.11.4+ is required)" >&2; return 1
}
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
  "$(pick_python)" -m venv "$venv"
fi
stamp="$venv/.installed-$(basename "$req")"
digest="$(cat "$root/requirements.txt" "$root/$req" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$root/$req"
  echo "$digest" > "$stamp"
fi
