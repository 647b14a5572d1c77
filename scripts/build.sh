#!/usr/bin/env bash
# Configures everything (RM_PARTS=all) with CMake + Ninja and builds it all, or only the targets
# named after the build type (scripts/run.sh builds just `ringmaster` and `fake-twilio`).
# Usage: scripts/build.sh [Release|RelWithDebInfo] [target…]   (default RelWithDebInfo, all)
# Output goes to ${RM_BUILD_DIR:-build}/<type in lower case>, one tree per type, so switching
# between scripts/test.sh (RelWithDebInfo) and scripts/run.sh (Release) never rebuilds from
# scratch. Prints the build directory as the last line of stdout.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TYPE="${1:-RelWithDebInfo}"
case "$TYPE" in
  Release | RelWithDebInfo) ;;
  *) echo "usage: scripts/build.sh [Release|RelWithDebInfo] [target…]" >&2; exit 2 ;;
esac
shift $(($# > 0 ? 1 : 0))
TARGETS=()
for t in "$@"; do TARGETS+=(--target "$t"); done
DIR="${RM_BUILD_DIR:-$ROOT/build}/${TYPE,,}"
# Each C++ job that includes CAF needs ~0.5 GB and the 2-core machines are shared: -j2 there.
CORES="$(nproc)"
JOBS=$((CORES <= 2 ? 2 : CORES))

cmake -S "$ROOT" -B "$DIR" -G Ninja -DCMAKE_BUILD_TYPE="$TYPE" -DRM_PARTS=all >&2
cmake --build "$DIR" -j "$JOBS" "${TARGETS[@]}" >&2
echo "$DIR"
