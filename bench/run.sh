#!/usr/bin/env bash
# bench/run.sh — issue 13's targets in one run on this machine (bench/README.md explains each):
#   1. Vapi check_availability (tool-calls, fresh toolCallIds) vs bench-hello: >= 50 %, p99 <= 5 ms
#   2. legacy POST /api/vapi/tools/calendar/check vs the Express + pg baseline (../shared/bench)
#      on identical data and bodies: >= 10x its requests/s
#   3. GET /api/inbound/phone-lookup/{phone} (service token) vs bench-hello: >= 70 %
#   4. status-update webhooks for fresh calls, durable before the ack (synchronous_commit=on):
#      >= 5,000 acks/s, p99 <= 20 ms
#   5. 64 concurrent reserve_slot on one slot: exactly one winner, p99 <= 20 ms
#   6. 10,000 live calls: RSS above idle (<= 100 MB); after kill -9, restart until
#      GET /sessions/calls lists them all (<= 2 s)
# The wrk measurements run in alternating rounds (every server once per round) and the table shows
# medians. Missed targets are information: the exit code is non-zero only when something broke
# (build, start-up, seeding, wrk, non-2xx replies, tool errors, more than one winner).
#
# Environment (all optional):
#   RM_BUILD_DIR      build directory (default build-bench; configured Release if new)
#   BENCH_NO_BUILD=1  use the binaries already in RM_BUILD_DIR
#   BENCH_REF         a commit to measure instead of the working tree (e.g. HEAD; see README)
#   BENCH_PATCH       a patch applied to that commit before the build (default BENCH_REF=HEAD),
#                     e.g. bench/floor.patch (bench/floor.sh); the service's own code is unchanged
#   BENCH_ROUNDS      alternating rounds (default 3); BENCH_DURATION per wrk run (default 10s)
#   BENCH_WARMUP      wrk warm-up per measurement before round 1 (default 3s; 0 skips)
#   BENCH_CONNECTIONS / BENCH_THREADS  wrk -c / -t (default 32 / 1)
#   BENCH_TENANTS     synthetic tenants for targets 1, 4-6 (default 1000, at most 10000)
#   BENCH_CALLS / BENCH_PER_CALL  tool-calls.lua: call slots per wrk thread (150), tool calls per
#                     call (10); BENCH_STATUS_SLOTS status-update.lua call slots per thread (1000)
#   BENCH_SLOTS       contested slots for target 5 (default 20); BENCH_CONTENDERS (default 64)
#   BENCH_LIVE_CALLS  live calls for target 6 (default 10000; 0 skips)
#   BENCH_COMPARE     legacy answers compared between Express and ringmaster (default 300; 0 skips)
#   BENCH_ONLY        space-separated subset of targets, e.g. "1 3" (default: all six)
#   BENCH_SHARED      the seeds' bench folder (default ../shared/bench)
#   BENCH_BASELINE_DIR  writable copy of baseline-express with node_modules (default
#                     build-bench/baseline-express; npm ci runs there when needed)
#   PGPORT            the bench's own PostgreSQL (default 5480); BENCH_RM_PORT / BENCH_HELLO_PORT /
#                     BENCH_EXPRESS_PORT (default 18200 / 18201 / 18202)
#   RINGMASTER_DB_WORKERS, RINGMASTER_HTTP_THREADS  passed through to ringmaster
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BUILD="${RM_BUILD_DIR:-$REPO/build-bench}"
ROUNDS="${BENCH_ROUNDS:-3}"
DURATION="${BENCH_DURATION:-10s}"
WARMUP="${BENCH_WARMUP:-3s}"
CONNS="${BENCH_CONNECTIONS:-32}"
WTHREADS="${BENCH_THREADS:-1}"
TENANTS="${BENCH_TENANTS:-1000}"
CALLS="${BENCH_CALLS:-150}"
PER_CALL="${BENCH_PER_CALL:-10}"
STATUS_SLOTS="${BENCH_STATUS_SLOTS:-1000}"
SLOTS="${BENCH_SLOTS:-20}"
CONTENDERS="${BENCH_CONTENDERS:-64}"
LIVE="${BENCH_LIVE_CALLS:-10000}"
COMPARE="${BENCH_COMPARE:-300}"
ONLY="${BENCH_ONLY:-1 2 3 4 5 6}"
SHARED="${BENCH_SHARED:-$REPO/../shared/bench}"
BASE_DIR="${BENCH_BASELINE_DIR:-$REPO/build-bench/baseline-express}"
RM_PORT="${BENCH_RM_PORT:-18200}"
HELLO_PORT="${BENCH_HELLO_PORT:-18201}"
EXPRESS_PORT="${BENCH_EXPRESS_PORT:-18202}"
export PGPORT="${PGPORT:-5480}"
# Synthetic tenant i gets +1 212 200 iiii: 212-200 is a valid New York exchange for
# libphonenumber, while 555-01xx fakes are rejected in some ranges. The baseline's clinics have
# +1 212 555 0000–1999 (target 2 and 3).
NUMBER_PREFIX="+1212200"

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }
want() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v curl >/dev/null || die "curl is not installed"
[ "$TENANTS" -ge 1 ] && [ "$TENANTS" -le 10000 ] || die "BENCH_TENANTS must be 1-10000"
[ "$ROUNDS" -ge 1 ] || die "BENCH_ROUNDS must be at least 1"
if want 2 || want 3; then
  command -v node >/dev/null && command -v npm >/dev/null || die "targets 2-3 need node and npm"
  [ -f "$SHARED/baseline-express/server.js" ] || die "no Express baseline in $SHARED"
fi

WORK="$(mktemp -d /tmp/rm-bench.XXXXXX)"
LOGS="$BUILD/bench-logs/$(date +%Y%m%d-%H%M%S)"  # kept after the run, for a second look
RM_PID="" HELLO_PID="" EXPRESS_PID="" PGROOT="" PGBIN=""
as_pg() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
cleanup() {
  local rc=$?
  # Only the processes this script started, by pid.
  for pid in $RM_PID $HELLO_PID $EXPRESS_PID; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $RM_PID $HELLO_PID $EXPRESS_PID; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -n "$PGROOT" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PGROOT"
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build -----------------------------------------------------------------------------------
# The working tree is shared and often holds someone's half-finished edits; BENCH_REF=HEAD (or any
# commit) measures committed code instead: `git archive` of that commit (read-only for the repo)
# plus this bench/ directory, extracted and built under $BUILD/ref-<sha>, kept for the next run.
# BENCH_PATCH: a measurement that needs the service changed (bench/floor.patch) is a patch applied
# to that extracted copy, never to the working tree; each (commit, patch) pair has its own copy.
SRC="$REPO"
[ -n "${BENCH_PATCH:-}" ] && [ -z "${BENCH_REF:-}" ] && BENCH_REF=HEAD
if [ -n "${BENCH_REF:-}" ]; then
  sha=$(git -C "$REPO" rev-parse --short=12 "$BENCH_REF^{commit}") || die "unknown BENCH_REF"
  ref="ref-$sha"
  if [ -n "${BENCH_PATCH:-}" ]; then
    PATCH_FILE="$(cd "$(dirname "$BENCH_PATCH")" && pwd)/$(basename "$BENCH_PATCH")"
    [ -f "$PATCH_FILE" ] || die "no patch $BENCH_PATCH"
    ref="$ref-$(sha256sum "$PATCH_FILE" | cut -c1-8)"
  fi
  SRC="$BUILD/$ref/src"
  BUILD="$BUILD/$ref/build"
  if [ ! -d "$SRC" ]; then
    rm -rf "$SRC.tmp"
    mkdir -p "$SRC.tmp" && git -C "$REPO" archive "$sha" | tar -x -C "$SRC.tmp"
    if [ -n "${BENCH_PATCH:-}" ]; then
      # Its own repository, so that git apply patches this copy, not the enclosing work tree.
      git -C "$SRC.tmp" init -q && git -C "$SRC.tmp" apply "$PATCH_FILE" \
        || die "$BENCH_PATCH does not apply to $sha"
      rm -rf "$SRC.tmp/.git"
    fi
    # git archive has no node_modules; the build embeds the console's (npm ci by bootstrap.sh).
    for m in app/console/node_modules tests/contract/node_modules; do
      [ -d "$REPO/$m" ] && ln -s "$REPO/$m" "$SRC.tmp/$m"
    done
    mv "$SRC.tmp" "$SRC"
  fi
  cp -p "$HERE/CMakeLists.txt" "$HERE"/*.cpp "$SRC/bench/"
  note "measuring commit $sha (BENCH_REF=$BENCH_REF${BENCH_PATCH:+, patched with $BENCH_PATCH})"
fi
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  note "building ringmaster, bench-hello and bench-fire in $BUILD (ninja -j2)"
  ninja -C "$BUILD" -j2 ringmaster bench-hello bench-fire >&2
fi
RM_BIN="$BUILD/app/ringmaster"
HELLO_BIN="$BUILD/bench/bench-hello"
FIRE_BIN="$BUILD/bench/bench-fire"
[ -x "$RM_BIN" ] && [ -x "$HELLO_BIN" ] || die "no binaries in $BUILD (unset BENCH_NO_BUILD)"
if want 5 || want 6; then [ -x "$FIRE_BIN" ] || die "no $FIRE_BIN (build the bench-fire target)"; fi
mkdir -p "$LOGS"

# The Express baseline runs from a writable copy with its own node_modules (shared/ is read-only).
if want 2 || want 3; then
  mkdir -p "$BASE_DIR"
  cp -p "$SHARED"/baseline-express/*.js "$SHARED"/baseline-express/*.json \
     "$SHARED"/baseline-express/*.sql "$BASE_DIR/"
  chmod -R u+w "$BASE_DIR"
  if [ ! -f "$BASE_DIR/node_modules/.package-lock.json" ] ||
     [ "$BASE_DIR/package-lock.json" -nt "$BASE_DIR/node_modules/.package-lock.json" ]; then
    note "npm ci in $BASE_DIR"
    (cd "$BASE_DIR" && npm ci --no-audit --no-fund >&2) || die "npm ci failed in $BASE_DIR"
  fi
fi

# --- PostgreSQL ------------------------------------------------------------------------------
# The bench's own cluster with PostgreSQL's durable defaults (fsync, synchronous_commit=on,
# full_page_writes), unlike scripts/pg-start.sh (test-only: fsync off): target 4 acknowledges
# events only after a durable commit. Both ringmaster and the Express baseline use it (one
# database each), so both pay the same commit costs; they run one after the other.
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[ -x "$PGBIN/pg_ctl" ] || die "no PostgreSQL server binaries found"
PGROOT="$(mktemp -d /tmp/rm-bench-pg.XXXXXX)"
[ "$(id -u)" = 0 ] && chown postgres: "$PGROOT"
as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
  >"$LOGS/initdb.log" 2>&1 || { cat "$LOGS/initdb.log" >&2; die "initdb failed"; }
as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 60 \
  -o "-p $PGPORT -k $PGROOT -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
  || { cat "$PGROOT/server.log" >&2; die "PostgreSQL did not start on port $PGPORT"; }
PSQL=(psql -h 127.0.0.1 -p "$PGPORT" -U postgres -X -q -v ON_ERROR_STOP=1)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE ringmaster" -c "CREATE DATABASE baseline" >/dev/null
RM_DB_URL="postgresql://postgres@127.0.0.1:$PGPORT/ringmaster"
BASELINE_URL="postgresql://postgres@127.0.0.1:$PGPORT/baseline"
PG_SETTINGS=$("${PSQL[@]}" -d postgres -tA -F' ' -c "SELECT string_agg(name || '=' || setting, ' '
  ORDER BY name) FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'wal_sync_method',
  'full_page_writes', 'shared_buffers')")
note "PostgreSQL $PGPORT: $PG_SETTINGS"

# --- servers ---------------------------------------------------------------------------------
TOKEN="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SERVICE_TOKEN="svc-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
VAPI_SECRET="vapi-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
MASTER_KEY="${RINGMASTER_MASTER_KEY:-$(head -c 32 /dev/urandom | base64 -w0)}"
RM_STARTS=0

wait_http() {  # name pid url [curl args]: up to 30 s for a 2xx, or fail if the process died
  for _ in $(seq 300); do
    kill -0 "$2" 2>/dev/null || { tail -n 20 "$LOGS/$1.log" >&2; die "$1 exited during start-up"; }
    curl -fsS -o /dev/null --max-time 2 "${@:4}" "$3" 2>/dev/null && return 0
    sleep 0.1
  done
  tail -n 20 "$LOGS/$1.log" >&2
  die "$1 did not answer $3 within 30 s"
}
start_ringmaster() {  # (re)starts ringmaster on the same database; sets RM_PID
  RM_STARTS=$((RM_STARTS + 1))
  DATABASE_URL="$RM_DB_URL" RINGMASTER_LISTEN="127.0.0.1:$RM_PORT" \
    RINGMASTER_OPERATOR_TOKEN="$TOKEN" RINGMASTER_SERVICE_TOKEN="$SERVICE_TOKEN" \
    RINGMASTER_VAPI_SECRET="$VAPI_SECRET" RINGMASTER_DATA_DIR="$WORK/data" \
    RINGMASTER_MASTER_KEY="$MASTER_KEY" \
    "$RM_BIN" serve >>"$LOGS/ringmaster.log" 2>&1 &
  RM_PID=$!
}
start_ringmaster
"$HELLO_BIN" --port "$HELLO_PORT" >"$LOGS/hello.log" 2>&1 &
HELLO_PID=$!
wait_http ringmaster "$RM_PID" "http://127.0.0.1:$RM_PORT/readyz"
# A body (hence Content-Length) is needed: httplib waits for a POST body that never comes.
wait_http hello "$HELLO_PID" "http://127.0.0.1:$HELLO_PORT/webhooks/vapi" --data '{}' \
  -H 'Content-Type: application/json'
# The Vapi credential is required (RINGMASTER_VAPI_SECRET): without it the webhook is refused.
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data '{"message":{"type":"status-update","status":"ringing","call":{"id":"x"}}}' \
  "http://127.0.0.1:$RM_PORT/webhooks/vapi")
[ "$code" = 401 ] || die "a webhook without X-Vapi-Secret got $code, not 401"
if want 2 || want 3; then
  note "seeding the Express baseline (its seed.js)"
  (cd "$BASE_DIR" && DATABASE_URL="$BASELINE_URL" node seed.js) >"$LOGS/express-seed.log" 2>&1 \
    || { cat "$LOGS/express-seed.log" >&2; die "the baseline's seed.js failed"; }
  (cd "$BASE_DIR" && DATABASE_URL="$BASELINE_URL" PORT="$EXPRESS_PORT" exec node server.js) \
    >"$LOGS/express.log" 2>&1 &
  EXPRESS_PID=$!
  wait_http express "$EXPRESS_PID" "http://127.0.0.1:$EXPRESS_PORT/api/inbound/phone-lookup/+12125550001"
fi

# --- seed ringmaster -------------------------------------------------------------------------
# Synthetic tenants (targets 1, 4-6): 8 curls at a time through the ops API, one number each.
export NUMBER_PREFIX TOKEN RM_PORT
seed_start=$(date +%s%N)
seq 0 $((TENANTS - 1)) | xargs -P 8 -n 1 sh -c '
  num=$(printf "%s%04d" "$NUMBER_PREFIX" "$1")
  curl -sS -o /dev/null -w "%{http_code} $1\n" -X POST \
    -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    --data "{\"name\":\"Clinic $1\",\"time_zone\":\"America/New_York\",\"numbers\":[{\"e164\":\"$num\",\"label\":\"main\"}]}" \
    "http://127.0.0.1:$RM_PORT/ops/tenants" || echo "000 $1"' _ >"$LOGS/seed.codes" 2>&1 || true
seed_ms=$(( ($(date +%s%N) - seed_start) / 1000000 ))
created=$(grep -c '^201 ' "$LOGS/seed.codes" || true)
if [ "$created" -ne "$TENANTS" ]; then
  grep -v '^201 ' "$LOGS/seed.codes" | head -n 5 >&2
  die "seeded $created of $TENANTS tenants (see $LOGS/seed.codes)"
fi
note "seeded $created synthetic tenants in ${seed_ms} ms"
SEED_LEGACY=""
if want 2 || want 3; then
  # The baseline's clinics, numbers and zones through POST /ops/tenants, its bookings with SQL
  # (bench/seed-legacy.js says why).
  SEED_LEGACY=$(NODE_PATH="$BASE_DIR/node_modules" BASELINE_URL="$BASELINE_URL" RM_DB_URL="$RM_DB_URL" \
    RM_URL="http://127.0.0.1:$RM_PORT" OPERATOR_TOKEN="$TOKEN" node "$HERE/seed-legacy.js" \
    2>"$LOGS/seed-legacy.log") || { cat "$LOGS/seed-legacy.log" >&2; die "seeding the baseline's data failed"; }
  note "${SEED_LEGACY#SEEDLEGACY }"
fi

source "$HERE/run-targets.sh"
