#!/usr/bin/env bash
# bench/run.sh — how close is ringmaster's hot path (a Vapi check_availability tool call) to the
# HTTP ceiling? Starts a throwaway PostgreSQL, builds, starts ringmaster and bench-hello on
# loopback, seeds ~1,000 tenants, warms up, runs wrk against both and prints a short table.
# The goals (p99 <= 5 ms, >= 50 % of hello's req/s) are information: the exit code is non-zero
# only when something broke (build, start-up, seeding, non-2xx replies, tool errors).
#
# Environment (all optional):
#   RM_BUILD_DIR      build directory (default build-bench; configured Release if new)
#   BENCH_NO_BUILD=1  use the binaries already in RM_BUILD_DIR
#   BENCH_REF         a commit to measure instead of the working tree (e.g. HEAD; see below)
#   BENCH_DURATION    wrk duration per measured run (default 15s)
#   BENCH_WARMUP      wrk duration of each warm-up run (default 5s)
#   BENCH_CONNECTIONS / BENCH_THREADS  wrk -c / -t (default 32 / 2)
#   BENCH_TENANTS     tenants to seed, one number each (default 1000, at most 10000)
#   BENCH_CALLS       live call slots per wrk thread (default 150)
#   BENCH_PER_CALL    tool calls per call before a slot moves to a new call (default 10)
#   PGPORT            throwaway PostgreSQL port (default 5470)
#   BENCH_RM_PORT / BENCH_HELLO_PORT  HTTP ports (default 18200 / 18201)
#   RINGMASTER_DB_WORKERS, RINGMASTER_HTTP_THREADS  passed through to ringmaster
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BUILD="${RM_BUILD_DIR:-$REPO/build-bench}"
DURATION="${BENCH_DURATION:-15s}"
WARMUP="${BENCH_WARMUP:-5s}"
CONNS="${BENCH_CONNECTIONS:-32}"
WTHREADS="${BENCH_THREADS:-2}"
TENANTS="${BENCH_TENANTS:-1000}"
CALLS="${BENCH_CALLS:-150}"
PER_CALL="${BENCH_PER_CALL:-10}"
RM_PORT="${BENCH_RM_PORT:-18200}"
HELLO_PORT="${BENCH_HELLO_PORT:-18201}"
export PGPORT="${PGPORT:-5470}"
# Tenant i gets +1 212 200 iiii: 212-200 is a valid New York exchange for libphonenumber, while
# 555-01xx fakes are rejected in some ranges.
NUMBER_PREFIX="+1212200"

die() { echo "bench: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v curl >/dev/null || die "curl is not installed"
[ "$TENANTS" -ge 1 ] && [ "$TENANTS" -le 10000 ] || die "BENCH_TENANTS must be 1-10000"

WORK="$(mktemp -d /tmp/rm-bench.XXXXXX)"
LOGS="$BUILD/bench-logs/$(date +%Y%m%d-%H%M%S)"  # kept after the run, for a second look
RM_PID="" HELLO_PID=""
cleanup() {
  local rc=$?
  # Only the processes this script started, by pid.
  for pid in $RM_PID $HELLO_PID; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $RM_PID $HELLO_PID; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  [ -n "${RM_PG_ROOT:-}" ] && "$REPO/scripts/pg-stop.sh" 2>/dev/null || true
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build -----------------------------------------------------------------------------------
# The working tree is shared and often holds someone's half-finished edits; BENCH_REF=HEAD (or any
# commit) measures committed code instead: `git archive` of that commit (read-only for the repo)
# plus this bench/ directory, extracted and built under $BUILD/ref-<sha>, kept for the next run.
SRC="$REPO"
if [ -n "${BENCH_REF:-}" ]; then
  sha=$(git -C "$REPO" rev-parse --short=12 "$BENCH_REF^{commit}") || die "unknown BENCH_REF"
  SRC="$BUILD/ref-$sha/src"
  BUILD="$BUILD/ref-$sha/build"
  if [ ! -d "$SRC" ]; then
    mkdir -p "$SRC.tmp" && git -C "$REPO" archive "$sha" | tar -x -C "$SRC.tmp" && mv "$SRC.tmp" "$SRC"
  fi
  cp -p "$HERE/CMakeLists.txt" "$HERE/hello.cpp" "$SRC/bench/"
  echo "bench: measuring commit $sha (BENCH_REF=$BENCH_REF)" >&2
fi
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  echo "bench: building ringmaster and bench-hello in $BUILD (ninja -j2)" >&2
  ninja -C "$BUILD" -j2 ringmaster bench-hello >&2
fi
RM_BIN="$BUILD/app/ringmaster"
HELLO_BIN="$BUILD/bench/bench-hello"
[ -x "$RM_BIN" ] && [ -x "$HELLO_BIN" ] || die "no binaries in $BUILD (unset BENCH_NO_BUILD)"
mkdir -p "$LOGS"

# --- PostgreSQL and servers ------------------------------------------------------------------
eval "$("$REPO/scripts/pg-start.sh")"

TOKEN="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
DATABASE_URL="$RINGMASTER_TEST_DATABASE_URL" RINGMASTER_LISTEN="127.0.0.1:$RM_PORT" \
  RINGMASTER_OPERATOR_TOKEN="$TOKEN" RINGMASTER_DATA_DIR="$WORK/data" \
  RINGMASTER_VAPI_AUTH=none \
  RINGMASTER_MASTER_KEY="${RINGMASTER_MASTER_KEY:-$(head -c 32 /dev/urandom | base64 -w0)}" \
  "$RM_BIN" serve >"$LOGS/ringmaster.log" 2>&1 &
RM_PID=$!
"$HELLO_BIN" --port "$HELLO_PORT" >"$LOGS/hello.log" 2>&1 &
HELLO_PID=$!

wait_http() {  # name pid url [curl args]: up to 15 s for a 2xx, or fail if the process died
  for _ in $(seq 150); do
    kill -0 "$2" 2>/dev/null || { tail -n 20 "$LOGS/$1.log" >&2; die "$1 exited during start-up"; }
    curl -fsS -o /dev/null --max-time 2 "${@:4}" "$3" 2>/dev/null && return 0
    sleep 0.1
  done
  tail -n 20 "$LOGS/$1.log" >&2
  die "$1 did not answer $3 within 15 s"
}
wait_http ringmaster "$RM_PID" "http://127.0.0.1:$RM_PORT/readyz"
# A body (hence Content-Length) is needed: httplib waits for a POST body that never comes.
wait_http hello "$HELLO_PID" "http://127.0.0.1:$HELLO_PORT/webhooks/vapi" --data '{}' \
  -H 'Content-Type: application/json'

# --- seed tenants ----------------------------------------------------------------------------
# 8 curls at a time: the ops endpoint commits one tenant per request, so this is bound by
# round trips, not CPU (about 1,000 tenants in a few seconds).
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
echo "bench: seeded $created tenants in ${seed_ms} ms" >&2

# --- wrk -------------------------------------------------------------------------------------
# Weekdays at least two days ahead (minimum notice never empties them), spread over five days.
DATES=""
for d in $(seq 2 14); do
  day=$(date -d "+$d day" +%F)
  [ "$(date -d "$day" +%u)" -le 5 ] && DATES="$DATES${DATES:+,}$day"
  [ "$(echo "$DATES" | tr ',' '\n' | wc -l)" -ge 5 ] && break
done
RUN_TAG="$(date +%s)"

run_wrk() {  # name url duration tag → $LOGS/name.txt; fails when the Lua script saw trouble
  local name=$1 url=$2 dur=$3 tag=$4 out="$LOGS/$1.txt" line
  wrk -t "$WTHREADS" -c "$CONNS" -d "$dur" --latency -s "$HERE/tool-calls.lua" "$url" \
    -- "$RUN_TAG-$tag" "$TENANTS" "$CALLS" "$PER_CALL" "$DATES" "$NUMBER_PREFIX" >"$out" 2>&1 \
    || { cat "$out" >&2; die "wrk failed for $name"; }
  line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "wrk printed no BENCH line for $name"; }
  field() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
  local req non2xx terr seen ok sock
  req=$(field requests); non2xx=$(field non2xx); terr=$(field tool_errors)
  seen=$(field first_checked); ok=$(field first_ok); sock=$(field socket_errors)
  [ "$req" -gt 0 ] || die "$name: no requests completed"
  [ "$non2xx" -eq 0 ] || { cat "$out" >&2; die "$name: $non2xx non-2xx responses"; }
  [ "$terr" -eq 0 ] || { cat "$out" >&2; die "$name: $terr tool results were errors"; }
  [ "$seen" -gt 0 ] && [ "$ok" -eq "$seen" ] || die "$name: first response lacks \"results\""
  [ "$sock" -eq 0 ] || echo "bench: $name: $sock socket errors (see $out)" >&2
  echo "$line"
}

HELLO_URL="http://127.0.0.1:$HELLO_PORT/webhooks/vapi"
RM_URL="http://127.0.0.1:$RM_PORT/webhooks/vapi"
echo "bench: warming up ($WARMUP each; dates $DATES)" >&2
run_wrk warmup-hello "$HELLO_URL" "$WARMUP" warm >/dev/null
run_wrk warmup-ringmaster "$RM_URL" "$WARMUP" warm >/dev/null
echo "bench: measuring ($DURATION each, $CONNS connections, $WTHREADS threads)" >&2
hello=$(run_wrk hello "$HELLO_URL" "$DURATION" hello)
rm_line=$(run_wrk ringmaster "$RM_URL" "$DURATION" main)

# --- table -----------------------------------------------------------------------------------
get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
h_rps=$(get "$hello" rps); h50=$(get "$hello" p50_us); h99=$(get "$hello" p99_us)
r_rps=$(get "$rm_line" rps); r50=$(get "$rm_line" p50_us); r99=$(get "$rm_line" p99_us)
awk -v hr="$h_rps" -v h50="$h50" -v h99="$h99" -v rr="$r_rps" -v r50="$r50" -v r99="$r99" \
    -v when="$(date "+%Y-%m-%d %H:%M %Z")" -v dur="$DURATION" -v c="$CONNS" -v t="$WTHREADS" -v n="$TENANTS" 'BEGIN {
  ratio = hr > 0 ? rr / hr : 0
  printf "\nringmaster bench (%s, wrk -c%d -t%d -d%s, %d tenants)\n", when, c, t, dur, n
  printf "%-12s %12s %10s %10s\n", "server", "requests/s", "p50 ms", "p99 ms"
  printf "%-12s %12.0f %10.2f %10.2f\n", "bench-hello", hr, h50 / 1000, h99 / 1000
  printf "%-12s %12.0f %10.2f %10.2f\n", "ringmaster", rr, r50 / 1000, r99 / 1000
  printf "ratio ringmaster/hello: %.1f %%\n", ratio * 100
  printf "goal p99 <= 5 ms:       %s (%.2f ms)\n", (r99 <= 5000 ? "met" : "NOT met"), r99 / 1000
  printf "goal >= 50 %% of hello:  %s (%.1f %%)\n", (ratio >= 0.5 ? "met" : "NOT met"), ratio * 100
}'
echo "full wrk output: $LOGS"
