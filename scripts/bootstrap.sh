#!/usr/bin/env bash
# Installs the Debian 12 packages needed to build, test and run ringmaster. Idempotent: when
# everything is already installed it does nothing (no apt-get update), so re-runs stay fast.
# As root it installs what is missing; otherwise it prints the command to run and exits 1.
set -euo pipefail
PACKAGES=(
  cmake ninja-build g++ pkg-config
  libcaf-dev libpqxx-dev nlohmann-json3-dev libcpp-httplib-dev libssl-dev catch2
  libphonenumber-dev libspdlog-dev libsodium-dev libhowardhinnant-date-dev libdate-tz3 tzdata
  postgresql postgresql-contrib
  wrk curl ca-certificates jq  # jq: the demo (scripts/run.sh) reads JSON replies with it
)

# One dpkg-query for all: the names whose status is "ii" (installed).
# (dpkg-query exits 1 when a package is unknown; its output still lists the others.)
installed=" $({ dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PACKAGES[@]}" 2>/dev/null ||
  true; } | awk '$1 == "ii" { printf "%s ", $2 }')"
missing=()
for p in "${PACKAGES[@]}"; do
  [[ "$installed" == *" $p "* ]] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

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
