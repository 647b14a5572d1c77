#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build, test and run ringmaster, then the npm packages
# with `npm ci`: the console's front-end library in app/console (preact + htm, embedded in the
# binary at build time, so every build needs it), and the tests' tools: Prism in tests/contract
# (the Twilio contract test's mock server, and the proxy of the OpenAPI conformance test), Redocly
# CLI in tools/openapi (the OpenAPI lint test) and playwright-core + axe-core in tests/console (the
# console's browser tests, which drive Debian's chromium). Idempotent: when everything is already
# installed it does nothing (no apt-get update, no npm), so re-runs stay fast. As root it installs
# missing Debian packages; otherwise it prints the command to run and exits 1. `--no-prism`: what
# the demo (scripts/run.sh) needs: no test tool, no chromium; the console's library still.
# `--list`: prints the Debian packages, one a line, and exits (scripts/check-deps.sh, run by CTest
# as bootstrap_lists_dependencies, checks that every package the CMake files and tests need is
# among them).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PACKAGES=(
  cmake ninja-build g++ pkg-config
  libcaf-dev libpqxx-dev nlohmann-json3-dev libcpp-httplib-dev libssl-dev catch2
  libphonenumber-dev libspdlog-dev libsodium-dev prometheus-cpp-dev libjwt-dev libhowardhinnant-date-dev libdate-tz3 tzdata
  libcurl4-openssl-dev  # e-mail: libcurl's SMTP client (adapters/email)
  libpoppler-cpp-dev  # the knowledge base's PDF text (adapters/pdf)
  libjemalloc-dev  # the service's allocator (app/CMakeLists.txt)
  postgresql postgresql-contrib
  wrk curl ca-certificates jq  # jq: the demo (scripts/run.sh) reads JSON replies with it
  # The fuzz tree (scripts/fuzz.sh, part of scripts/test.sh): clang++, and the libFuzzer,
  # ASan and UBSan runtimes, which clang-14 only recommends (so --no-install-recommends skips
  # them). Debian's libfuzzer-14-dev holds a standalone libFuzzer.a that -fsanitize=fuzzer
  # does not use.
  clang libclang-rt-14-dev
)
# Only the tests need these: the console's browser tests (tests/console) run Debian's chromium.
TEST_PACKAGES=(chromium)
if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${PACKAGES[@]}" "${TEST_PACKAGES[@]}"
  exit 0
fi
[ "${1:-}" = "--no-prism" ] || PACKAGES+=("${TEST_PACKAGES[@]}")
# Node.js and npm install the console's library (every build) and run the test tools. A machine's
# own Node.js (e.g. a NodeSource build, which bundles npm and conflicts with Debian's npm package)
# is used as it is; without npm, Debian's are installed.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

# One dpkg-query for all: the names whose status is "ii" (installed).
# (dpkg-query exits 1 when a package is unknown; its output still lists the others.)
installed=" $({ dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PACKAGES[@]}" 2>/dev/null ||
  true; } | awk '$1 == "ii" { printf "%s ", $2 }')"
missing=()
for p in "${PACKAGES[@]}"; do
  [[ "$installed" == *" $p "* ]] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "bootstrap: install them as root with:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "bootstrap: installing ${missing[*]}" >&2
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# The npm packages, each pinned by its package-lock.json. Re-installed only when node_modules is
# missing or was installed from another lock file (a stamp holds the lock's hash). Install scripts
# are skipped: none needs one (the only one is a dependency's usage report; playwright-core
# downloads no browser: the tests use Debian's chromium).
npm_tool() {  # dir file-under-node_modules what
  local dir="$ROOT/$1" want stamp
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  stamp="$dir/node_modules/.ringmaster-lock.sha256"
  if [ ! -e "$dir/node_modules/$2" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "bootstrap: installing $3 (npm ci in $1)" >&2
    if ! (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts >&2); then
      echo "bootstrap: npm ci in $dir failed (is the npm registry reachable?)" >&2
      exit 1
    fi
    echo "$want" >"$stamp"
  fi
}
# The console's front-end library: app/console/console.cmake embeds its files in the binary.
npm_tool app/console preact/package.json "the console's front-end library (preact, htm)"
[ "${1:-}" = "--no-prism" ] && exit 0
npm_tool tests/contract .bin/prism "Prism for the contract and OpenAPI tests"
npm_tool tools/openapi .bin/redocly "Redocly CLI for the OpenAPI lint test"
npm_tool tests/console playwright-core/package.json "playwright-core and axe-core for the console's browser tests"
