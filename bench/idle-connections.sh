#!/usr/bin/env bash
# bench/idle-connections.sh — issue 9 §6: does a webhook still get through while idle
# connections are held open? Builds bench-idle and runs it: httplib's thread pool (ringmaster
# before) against ringmaster's connection reactor (adapters/http/connection_reactor.hpp), webhook
# latency with 0, 64 and 512 idle connections; then, when wrk is installed, keep-alive
# throughput of both (wrk -t2 -c32) so the change is seen not to cost the busy path.
# Loopback only; every process it starts is stopped (by pid) before it exits.
#
# Environment (all optional):
#   RM_BUILD_DIR      build directory (default build/relwithdebinfo; configured if new)
#   BENCH_NO_BUILD=1  use the bench-idle already built there
#   IDLE_COUNTS       comma-separated idle connection counts (default 0,64,512)
#   IDLE_PROBES       webhooks per count (default 3); IDLE_TIMEOUT seconds per probe (default 15)
#   IDLE_WRK          wrk duration per server (default 5s; 0 skips wrk)
#   BENCH_IDLE_PORT   first of two ports for the wrk part (default 18210, 18211)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BUILD="${RM_BUILD_DIR:-$REPO/build/relwithdebinfo}"
COUNTS="${IDLE_COUNTS:-0,64,512}"
PROBES="${IDLE_PROBES:-3}"
TIMEOUT="${IDLE_TIMEOUT:-15}"
WRK_FOR="${IDLE_WRK:-5s}"
PORT="${BENCH_IDLE_PORT:-18210}"

die() { echo "bench: $*" >&2; exit 1; }

if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S "$REPO" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  ninja -C "$BUILD" -j2 bench-idle >&2
fi
BIN="$BUILD/bench/bench-idle"
[ -x "$BIN" ] || die "no $BIN (unset BENCH_NO_BUILD)"

echo "webhook latency with idle connections held open (${PROBES} probes each, timeout ${TIMEOUT} s)"
"$BIN" --idle "$COUNTS" --probes "$PROBES" --timeout "$TIMEOUT"

[ "$WRK_FOR" = 0 ] && exit 0
command -v wrk >/dev/null || { echo "(wrk not installed: throughput part skipped)"; exit 0; }

WORK="$(mktemp -d /tmp/rm-bench-idle.XXXXXX)"
PIDS=""
cleanup() {
  local rc=$?
  for pid in $PIDS; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $PIDS; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat >"$WORK/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"message":{"type":"status-update","status":"ringing","call":{"id":"wrk"}}}'
wrk.headers["Content-Type"] = "application/json"
EOF

echo
printf '%-8s %12s %10s %10s\n' server requests/s "p50 ms" "p99 ms"
port=$PORT
for kind in old reactor; do
  "$BIN" --serve "$kind" --port "$port" >"$WORK/$kind.log" 2>&1 &
  pid=$!
  PIDS="$PIDS $pid"
  for _ in $(seq 50); do
    curl -fsS -o /dev/null --max-time 1 --data '{}' "http://127.0.0.1:$port/webhooks/vapi" \
      2>/dev/null && break
    sleep 0.1
  done
  wrk -t2 -c32 -d"$WRK_FOR" --latency -s "$WORK/post.lua" "http://127.0.0.1:$port/webhooks/vapi" \
    >"$WORK/$kind.wrk" 2>&1 || die "wrk failed against $kind: $(cat "$WORK/$kind.wrk")"
  rps=$(awk '/^Requests\/sec/ {print $2}' "$WORK/$kind.wrk")
  p50=$(awk '$1 == "50%" {print $2}' "$WORK/$kind.wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$WORK/$kind.wrk")
  printf '%-8s %12s %10s %10s\n' "$kind" "$rps" "$p50" "$p99"
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  PIDS="${PIDS% $pid}"
  port=$((port + 1))
done
