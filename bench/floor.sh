#!/usr/bin/env bash
# bench/floor.sh — where target 1's limit is on this machine (bench/README.md, "ninth round").
# Runs target 1 (Vapi check_availability with fresh toolCallIds, against bench-hello in the same
# run) in alternating one-round runs of bench/run.sh, each with one RM_FLOOR mode of a binary
# built from HEAD with bench/floor.patch (run.sh's BENCH_PATCH; the service's code is unchanged):
#   answer  the read is answered and nothing follows: no hand-off, no record
#   copy    no actors; one writer thread stores the records with COPY as the bench's superuser
#           (no RLS; primary and foreign keys checked): the cheapest record the schema takes
#   writer  no actors; the same writer with the tool log's own statement under the runtime role
#   bare    no actors; the same writer COPYs into a table with only a primary key (no RLS, no
#           foreign key, no calls rows): the floor of any durable row per read
#   off     the service as it is (worker → call registry → call actor → tool log)
# Prints one line per run and a median per mode. Same environment as run.sh (RM_BUILD_DIR,
# BENCH_DURATION, PGPORT, …); FLOOR_ROUNDS (3) and FLOOR_MODES ("answer bare copy writer off").
# The first run builds the patched copy (Release, under $RM_BUILD_DIR/ref-<sha>-<patch>).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rounds="${FLOOR_ROUNDS:-3}"
modes="${FLOOR_MODES:-answer bare copy writer off}"
out="$(mktemp)"
err="$(mktemp)"
trap 'rm -f "$out" "$err"' EXIT

for round in $(seq 1 "$rounds"); do
  for mode in $modes; do
    line=$(RM_FLOOR="$mode" BENCH_PATCH="$HERE/floor.patch" BENCH_ONLY=1 BENCH_ROUNDS=1 \
             BENCH_WARMUP="${BENCH_WARMUP:-3s}" bash "$HERE/run.sh" 2>"$err" |
           awk '/^bench-hello POST/ {h=$(NF-2)} /^ringmaster check_availability/ {r=$(NF-2); p=$NF}
                END {if (h && r) printf "%.1f %s %s %s", 100*r/h, p, r, h}') || true
    if [ -z "$line" ]; then
      echo "floor.sh: round $round, mode $mode: run.sh failed:" >&2
      tail -n 5 "$err" >&2
      exit 1
    fi
    set -- $line
    printf 'round %s  %-6s  %5.1f %% of hello  p99 %6s ms  (%s reads/s, hello %s)\n' \
      "$round" "$mode" "$1" "$2" "$3" "$4"
    echo "$mode $1 $2" >>"$out"
  done
done
echo "median per mode (% of hello, p99 ms; target 1: >= 50 %, <= 5 ms):"
for mode in $modes; do
  pct=$(awk -v m="$mode" '$1 == m {print $2}' "$out" | sort -n)
  p99=$(awk -v m="$mode" '$1 == m {print $3}' "$out" | sort -n)
  n=$(echo "$pct" | wc -l)
  mid=$(( (n + 1) / 2 ))
  pct=$(echo "$pct" | sed -n "${mid}p")
  p99=$(echo "$p99" | sed -n "${mid}p")
  met=$(awk -v a="$pct" -v b="$p99" 'BEGIN {print (a >= 50 && b <= 5) ? "met" : "NOT met"}')
  printf '  %-6s  %5.1f %%  p99 %6.2f ms  %s\n' "$mode" "$pct" "$p99" "$met"
done
