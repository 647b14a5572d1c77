#!/usr/bin/env bash
# THE test command (CI runs it through .ci/run): installs missing packages, builds
# RelWithDebInfo and the clang fuzz tree (scripts/fuzz.sh --build: CTest replays the fuzz
# corpus and smoke-runs each harness), starts a throwaway PostgreSQL for the database tests, runs
# every test through CTest and exits with CTest's status. The PostgreSQL is stopped and deleted on any exit.
# Env: RM_BUILD_DIR (see scripts/build.sh), PGPORT (first port to try, default 5433),
#      RM_CTEST_JOBS (default 2: database tests use a private database each, so they can overlap).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

bash scripts/bootstrap.sh
BUILD_DIR="$(bash scripts/build.sh RelWithDebInfo | tail -n1)"
# Before CTest, so that its fuzz_build fixture finds the tree up to date and no compiler runs
# alongside the tests.
bash scripts/fuzz.sh --build

# Start PostgreSQL on the first free port from $PGPORT on (another cluster may hold 5433).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
first="${PGPORT:-5433}"
pg_env=""
for port in $(seq "$first" $((first + 20))); do
  port_busy "$port" && continue
  if pg_env="$(PGPORT="$port" bash scripts/pg-start.sh)"; then break; fi
  pg_env=""  # lost a race for the port, or a real failure: try the next one
done
[ -n "$pg_env" ] || { echo "test: could not start PostgreSQL on ports $first…$((first + 20))" >&2; exit 1; }
eval "$pg_env"
trap 'bash "$ROOT/scripts/pg-stop.sh" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM  # run the EXIT trap on Ctrl-C too
echo "test: PostgreSQL for the tests on 127.0.0.1:$PGPORT"

status=0
# catch_discover_tests splits a TEST_CASE name at ';': the halves match no test and "pass"
# without running anything. Refuse such names (CTest names that start with a space).
if split="$(cd "$BUILD_DIR" && ctest -N | grep -E '^ +Test +#[0-9]+:  ')"; then
  echo "test: these CTest names are halves of a TEST_CASE name holding ';' (rename it):" >&2
  echo "$split" >&2
  status=1
fi
(cd "$BUILD_DIR" && ctest --output-on-failure -j "${RM_CTEST_JOBS:-2}") || status=$?
exit "$status"
