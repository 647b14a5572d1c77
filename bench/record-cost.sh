#!/usr/bin/env bash
# What storing a read's record costs PostgreSQL, apart from everything else (issue 13, target 1):
# the tool log's statements and two floors below them, each timed as PostgreSQL CPU per record.
#
# A throwaway cluster with PostgreSQL's durable defaults (as bench/run.sh's), ringmaster's schema
# (`ringmaster migrate`), 1,000 tenants; then, for each shape, BATCHES transactions of 160
# check_availability records with 16 new calls (bench/record-cost.js), sent by one psql session.
# The figure is that session's backend CPU (utime + stime from /proc, read by the session itself
# before and after), divided by the records: the work a record costs PostgreSQL whatever else
# runs. Shapes:
#   function   rm_log_tool_calls (migrations 020/021): what the tool log ran until migration 022
#   new-rows   rm_log_new_tool_calls (022): the tool log's first try now (no ON CONFLICT)
#   copy       COPY into calls and tool_invocations as the superuser: no arrays to parse, no
#              conflict handling, but COPY FROM refuses tables under row-level security for any
#              role subject to it, so the service cannot use it (its role is ringmaster_app)
#   copy-bare  COPY into a table with only tool_invocations' columns and primary key: no calls
#              rows, no foreign key; the least any indexed, durable row per read costs
# Usage: bash bench/record-cost.sh   (BATCHES=500, PGPORT=5481, RM_BUILD_DIR=build-bench)
# Needs node, psql, PostgreSQL's server binaries and a built ringmaster.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BATCHES="${BATCHES:-500}"
SHAPES="${SHAPES:-function new-rows copy copy-bare}"
PGPORT="${PGPORT:-5481}"
BUILD="${RM_BUILD_DIR:-$ROOT/build-bench}"
RM_BIN="$BUILD/app/ringmaster"
[ -x "$RM_BIN" ] || { echo "record-cost: no $RM_BIN (build ringmaster)" >&2; exit 1; }
PGBIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
[ -x "$PGBIN/pg_ctl" ] || { echo "record-cost: no PostgreSQL server binaries" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
WORK="$(mktemp -d /tmp/rm-record-cost.XXXXXX)"
[ "$(id -u)" = 0 ] && chown postgres: "$WORK"
stop() {
  as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap stop EXIT
as_pg "$PGBIN/initdb" -D "$WORK/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 \
  -o "-p $PGPORT -k $WORK -c listen_addresses=127.0.0.1" start >/dev/null
PSQL=(psql -h 127.0.0.1 -p "$PGPORT" -U postgres -X -q -v ON_ERROR_STOP=1)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE cost" >/dev/null
"$RM_BIN" migrate --database-url "postgresql://postgres@127.0.0.1:$PGPORT/cost" >/dev/null 2>&1
"${PSQL[@]}" -d cost >/dev/null <<'SQL'
INSERT INTO organizations (id, name, time_zone, working_hours)
SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'clinic ' || i,
       'America/New_York', '{}'
  FROM generate_series(1, 1000) i;
CREATE TABLE bare_records (LIKE tool_invocations INCLUDING DEFAULTS, PRIMARY KEY (call_id, tool_call_id));
SQL
SETTINGS=$("${PSQL[@]}" -d cost -tA -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY
  name) FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'full_page_writes')")
echo "PostgreSQL: $SETTINGS; $BATCHES transactions of 160 records (16 new calls) per shape"
printf '%-10s %10s %12s %16s\n' shape records "wall s" "backend µs/rec"
for shape in warm-up $SHAPES; do  # the first pass (unreported) warms caches and the table files
  "${PSQL[@]}" -d cost -c "TRUNCATE tool_invocations, bare_records" \
    -c "DELETE FROM calls WHERE id LIKE 'cost-%'" >/dev/null
  {
    echo "SELECT pg_backend_pid() AS bp \\gset"
    echo "\\setenv BP :bp"
    echo "\\! awk '{print \$14 + \$15}' /proc/\$BP/stat > $WORK/cpu0"
    node "$HERE/record-cost.js" "${shape/warm-up/function}" "$BATCHES"
    echo "\\! awk '{print \$14 + \$15}' /proc/\$BP/stat > $WORK/cpu1"
  } > "$WORK/run.sql"
  t0=$(date +%s%N)
  "${PSQL[@]}" -d cost -f "$WORK/run.sql" >/dev/null
  t1=$(date +%s%N)
  stored=$("${PSQL[@]}" -d cost -tA -c "SELECT (SELECT count(*) FROM tool_invocations) +
    (SELECT count(*) FROM bare_records)")
  ticks=$(( $(cat "$WORK/cpu1") - $(cat "$WORK/cpu0") ))
  [ "$shape" = warm-up ] && continue
  awk -v s="$shape" -v n="$stored" -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v w="$((t1 - t0))" \
    'BEGIN { printf "%-10s %10d %12.2f %16.1f\n", s, n, w / 1e9, t * 1e6 / hz / n }'
done
