#!/usr/bin/env bash
# libFuzzer harnesses (tests/fuzz/fuzz_*.cpp): builds them with clang++ and
# -fsanitize=fuzzer,address,undefined in a build tree of their own (${RM_BUILD_DIR:-build}/fuzz,
# from tests/fuzz/standalone: only the pure code they need, never CAF), then runs each in turn.
#
#   scripts/fuzz.sh [SECONDS]     build, then fuzz every harness for SECONDS (default 60)
#   scripts/fuzz.sh --runs N      build, then fuzz every harness for N executions
#   scripts/fuzz.sh --build       build only (scripts/test.sh does this before CTest)
#   scripts/fuzz.sh --regress H   replay every input in tests/fuzz/corpus/H once (CTest)
#   scripts/fuzz.sh --smoke H S   fuzz H for S seconds from its corpus (CTest)
#
# Seeds and crash reproducers live in tests/fuzz/corpus/<harness>/ (read-only here); inputs the
# fuzzer finds interesting accumulate in <build>/fuzz/corpus/<harness>/ between runs. Crashes go
# to a fresh temporary directory whose path is printed: add the reproducer to
# tests/fuzz/corpus/<harness>/ with the fix. Prints executions, seconds, exec/s and corpus size
# per harness; exits 1 when any harness crashed. RM_FUZZ_HARNESSES="jwt e164" limits the set.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${RM_BUILD_DIR:-$ROOT/build}/fuzz"
CORPUS="$ROOT/tests/fuzz/corpus"
ALL="json_guard vapi_messages twilio_request jwt e164 forwarding_codes scoring"
HARNESSES="${RM_FUZZ_HARNESSES:-$ALL}"

# Sanitizer reports: stop at the first error, with a stack; a leak is a finding too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
command -v llvm-symbolizer >/dev/null 2>&1 ||
  { [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ] &&
    export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer; } || true

build() {
  local cxx="${RM_FUZZ_CXX:-clang++}"
  command -v "$cxx" >/dev/null || { echo "fuzz: $cxx not found (bash scripts/bootstrap.sh)" >&2; exit 1; }
  local cores jobs
  cores="$(nproc)"
  jobs=$((cores <= 2 ? 2 : cores))
  if [ ! -f "$DIR/build.ninja" ]; then
    cmake -S "$ROOT/tests/fuzz/standalone" -B "$DIR" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" >&2
  fi
  cmake --build "$DIR" -j "$jobs" >&2
}

binary() {
  local b="$DIR/fuzz_$1"
  [ -x "$b" ] || { echo "fuzz: $b is missing: build it with bash scripts/fuzz.sh --build" >&2; exit 1; }
  echo "$b"
}

dict_args() { [ -f "$ROOT/tests/fuzz/$1.dict" ] && echo "-dict=$ROOT/tests/fuzz/$1.dict" || true; }

# Replays each stored input once (libFuzzer's file mode: nothing is mutated or written).
regress() {
  local h="$1" b
  b="$(binary "$h")" || exit 1
  mapfile -t files < <(find "$CORPUS/$h" -type f | sort)
  [ ${#files[@]} -gt 0 ] || { echo "fuzz: no inputs in $CORPUS/$h" >&2; exit 1; }
  local out rc=0
  out="$("$b" -timeout=10 "${files[@]}" 2>&1)" || rc=$?
  if [ "$rc" != 0 ]; then
    echo "$out" | grep -vE '^(Running|Executed) ' >&2
    echo "fuzz: $h crashed on a stored input (exit $rc); replay: $b -timeout=10 <file>" >&2
    exit 1
  fi
  echo "fuzz: $h: ${#files[@]} stored inputs replayed, no crash"
}

# fuzz_one HARNESS LIMIT_FLAG WORK_CORPUS: one libFuzzer run; prints a summary line.
fuzz_one() {
  local h="$1" limit="$2" work="$3" b crashes log start end rc=0
  b="$(binary "$h")" || return 1
  crashes="$(mktemp -d "${TMPDIR:-/tmp}/ringmaster-fuzz-$h.XXXXXX")"
  log="$crashes/libfuzzer.log"
  mkdir -p "$work"
  start="$(date +%s.%N)"
  # The first directory receives new inputs; the stored corpus is only read.
  "$b" "$limit" -timeout=10 -print_final_stats=1 -artifact_prefix="$crashes/" $(dict_args "$h") \
    "$work" "$CORPUS/$h" >"$log" 2>&1 || rc=$?
  end="$(date +%s.%N)"
  local execs secs rate size
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)"
  secs="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
  rate="$(awk -v n="${execs:-0}" -v s="$secs" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }')"
  size="$(find "$work" "$CORPUS/$h" -type f | wc -l)"
  printf 'fuzz: %-16s executions %10s  seconds %7s  exec/s %7s  corpus %5s  ' \
    "$h" "${execs:-?}" "$secs" "$rate" "$size"
  if [ "$rc" = 0 ]; then
    echo "no crash"
    rm -rf "$crashes"
    return 0
  fi
  echo "CRASH (exit $rc)"
  grep -E 'ERROR|invariant|SUMMARY|Test unit written|runtime error' "$log" | head -n 20 >&2 || true
  echo "fuzz: log and reproducer in $crashes; reproduce with: $b <reproducer>" >&2
  return 1
}

case "${1:-}" in
  --build) build; exit 0 ;;
  --regress) [ $# = 2 ] || { echo "usage: $0 --regress HARNESS" >&2; exit 2; }; regress "$2"; exit 0 ;;
  --smoke)
    [ $# = 3 ] || { echo "usage: $0 --smoke HARNESS SECONDS" >&2; exit 2; }
    work="$(mktemp -d "${TMPDIR:-/tmp}/ringmaster-fuzz-smoke.XXXXXX")"
    status=0
    fuzz_one "$2" "-max_total_time=$3" "$work" || status=$?
    rm -rf "$work"
    exit "$status" ;;
  --runs) [ $# = 2 ] || { echo "usage: $0 --runs N" >&2; exit 2; }; limit="-runs=$2" ;;
  "") limit="-max_total_time=60" ;;
  *[!0-9]*) echo "usage: $0 [SECONDS] | --runs N | --build | --regress H | --smoke H S" >&2; exit 2 ;;
  *) limit="-max_total_time=$1" ;;
esac

build
failed=""
for h in $HARNESSES; do
  fuzz_one "$h" "$limit" "$DIR/corpus/$h" || failed="$failed $h"
done
[ -z "$failed" ] || { echo "fuzz: crashed:$failed" >&2; exit 1; }
echo "fuzz: every harness ran without a crash"
