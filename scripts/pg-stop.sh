#!/usr/bin/env bash
# Stops and deletes the cluster started by scripts/pg-start.sh ($RM_PG_ROOT).
set -euo pipefail
ROOT="${RM_PG_ROOT:?run eval \"\$(scripts/pg-start.sh)\" first}"
case "$ROOT" in /tmp/rm-pg.*) ;; *) echo "pg-stop: refusing to delete '$ROOT'" >&2; exit 1 ;; esac
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)}"
if [ "$(id -u)" = 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; else as_pg() { "$@"; }; fi
as_pg "$PGBIN/pg_ctl" -D "$ROOT/data" -m fast -w stop >&2 || true
rm -rf "$ROOT"
