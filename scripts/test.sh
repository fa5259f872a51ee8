#!/usr/bin/env bash
# `make test` (GRAPHPORT_TEST_TIER=fast) and `make test-all` (full; CI=true always runs everything):
# installs the OS packages the tests need when missing (scripts/system-deps.sh), starts PostgreSQL,
# Redis and SeaweedFS on 127.0.0.1 unless they are already given (GRAPHPORT_TEST_PG_URL, as .ci/run
# does), runs pytest on both cores, and stops what it started. Extra arguments go to pytest.
# The tiers are defined in tests/_tiers.py.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh
if [ -z "${GRAPHPORT_TEST_PG_URL:-}" ]; then
  export GRAPHPORT_SERVICES_DIR
  GRAPHPORT_SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/graphport-services.XXXXXX")
  rmdir "$GRAPHPORT_SERVICES_DIR"  # services.sh makes it; an existing env.sh would mean "already up"
  trap 'scripts/services.sh stop' EXIT
  if services_env=$(scripts/services.sh start); then
    eval "$services_env"
  elif [ "${CI:-}" = true ]; then
    exit 1
  else
    echo "test: the scale-out services did not start; their tests skip (see scripts/services.sh)" >&2
  fi
fi
export GRAPHPORT_TEST_TIER="${GRAPHPORT_TEST_TIER:-fast}"
.venv/bin/pytest -n 2 --dist loadfile -q "$@"
