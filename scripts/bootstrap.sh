#!/usr/bin/env bash
# Create a venv and install Barrios with every extra and its test tools, at the exact
# versions the tests use (constraints.txt). Idempotent: reinstalls only when
# pyproject.toml or constraints.txt is newer than the last install.
#   scripts/bootstrap.sh                    Python 3.12 in .venv (the default)
#   scripts/bootstrap.sh 3.13 .venv-3.13    Python 3.13 in its own venv (make ... PY=3.13)
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:-3.12}
venv=${2:-.venv}
# The versions the test suite passes on; keep in step with requires-python in pyproject.toml.
tested="3.12 3.13"

find_python() {
  local pyenv_build=""
  if command -v pyenv >/dev/null 2>&1; then
    pyenv_build=$(ls -d "$(pyenv root)/versions/$version".* 2>/dev/null | sort -V | tail -n 1)
  fi
  for candidate in "python$version" "${pyenv_build:+$pyenv_build/bin/python$version}"; do
    if [ -n "$candidate" ] && [ "$(version_of "$candidate")" = "$version" ]; then
      echo "$candidate"; return 0
    fi
  done
  echo "error: Python $version not found; install it, e.g. 'pyenv install $version'" >&2
  return 1
}

# Major.minor of an interpreter, empty when it does not run (e.g. a pyenv shim for a
# version that .python-version does not select).
version_of() {
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}

case " $tested " in
  *" $version "*) ;;
  *) echo "error: Python '$version' is not one the tests run on; expected one of: $tested" >&2
     exit 2 ;;
esac
if [ -x "$venv/bin/python" ] && [ "$(version_of "$venv/bin/python")" != "$version" ]; then
  echo "error: $venv has Python $(version_of "$venv/bin/python"), expected $version;" \
       "remove $venv or choose another folder" >&2
  exit 2
fi

stamp=$venv/.installed
if [ ! -x "$venv/bin/python" ]; then
  python=$(find_python)
  "$python" -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -e ".[all,test]" -c constraints.txt
  touch "$stamp"
fi
