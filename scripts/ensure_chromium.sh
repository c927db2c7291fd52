#!/usr/bin/env bash
# The workshop app's browser tests drive Debian's headless Chromium (never a downloaded
# one). Install it with apt-get when it is missing and we may (root, apt-get present);
# otherwise say so: those two tests are then skipped with the reason.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null
else
  echo "note: /usr/bin/chromium is missing; install Debian's chromium (apt-get install chromium)" \
       "to run the workshop page's browser tests" >&2
fi
