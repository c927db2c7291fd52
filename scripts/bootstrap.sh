#!/usr/bin/env bash
# Create .venv with Python 3.12 and install Barrios with every extra and its test tools,
# at the exact versions the tests use (constraints.txt). Idempotent: reinstalls only when
# pyproject.toml or constraints.txt is newer than the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  for candidate in python3.12 "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/3.12.1/bin/python3.12"; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
       && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "error: Python 3.12 not found (Mesa 3.5 needs it); install it, e.g. 'pyenv install 3.12.1'" >&2
  return 1
}

stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
  "$(find_python)" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[all,test]" -c constraints.txt
  touch "$stamp"
fi
