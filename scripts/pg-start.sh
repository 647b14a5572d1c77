#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the database tests and prints the variables to use it.
#  - as root, initdb/pg_ctl run as the `postgres` OS user (they refuse root); otherwise directly
#  - cluster, socket and log live in one temp dir under /tmp (postgres cannot enter /root)
#  - 127.0.0.1:$PGPORT (default 5433) and a unix socket in that dir; trust auth, fsync off:
#    tests only
# Usage: eval "$(scripts/pg-start.sh)"; …; scripts/pg-stop.sh
# Prints: export RM_PG_ROOT PGHOST PGPORT PGUSER PGDATABASE RINGMASTER_TEST_DATABASE_URL
set -euo pipefail
PGPORT="${PGPORT:-5433}"
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}"
[ -x "$PGBIN/pg_ctl" ] || { echo "pg-start: no PostgreSQL server binaries found" >&2; exit 1; }
ROOT="$(mktemp -d /tmp/rm-pg.XXXXXX)"
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$ROOT"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi
as_pg "$PGBIN/initdb" -D "$ROOT/data" -U postgres -A trust -E UTF8 \
  --locale=C.UTF-8 --no-sync >"$ROOT/initdb.log" 2>&1 \
  || { cat "$ROOT/initdb.log" >&2; rm -rf "$ROOT"; exit 1; }
as_pg "$PGBIN/pg_ctl" -D "$ROOT/data" -l "$ROOT/server.log" -w -t 30 \
  -o "-p $PGPORT -k $ROOT -c listen_addresses=127.0.0.1 -c fsync=off \
      -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" start >&2 \
  || { cat "$ROOT/server.log" >&2; rm -rf "$ROOT"; exit 1; }
cat <<EOT
export RM_PG_ROOT='$ROOT' PGHOST='$ROOT' PGPORT='$PGPORT' PGUSER=postgres PGDATABASE=postgres
export RINGMASTER_TEST_DATABASE_URL='postgresql://postgres@127.0.0.1:$PGPORT/postgres'
EOT
