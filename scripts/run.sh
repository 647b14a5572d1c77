#!/usr/bin/env bash
# THE run command: a local demo of ringmaster, end to end, then a running service.
#  1. installs missing packages (scripts/bootstrap.sh) and builds, in Release, only what the demo
#     runs: the `ringmaster` and `fake-twilio` targets (scripts/build.sh; the tests are built by
#     scripts/test.sh)
#  2. starts a LOCAL FAKE Twilio (tests/fakes): no SMS ever reaches a real phone
#  3. starts `ringmaster serve` with an embedded PostgreSQL (no DATABASE_URL), a fresh
#     operator token and RINGMASTER_VAPI_AUTH=none (unauthenticated Vapi webhooks: a demo
#     only), and waits for /readyz
#  4. creates the demo clinic "Harbor Dental" (or finds it, when an earlier run created it)
#  5. replays the recorded inbound call docs/examples/inbound-call/*.json as Vapi would send it,
#     re-dated to the next free weekday, under a new call id
#  6. prints the call's final state, its appointment and the SMS audit trail, then the console's
#     address (/console/) with the demo clinic's token (an admin JWT signed with the demo's
#     RINGMASTER_JWT_SECRET) and the operator token, keeps serving until Ctrl-C, and stops
#     ringmaster (and so its PostgreSQL) and the fake on exit
# Env: RINGMASTER_LISTEN (default 127.0.0.1:8080), RINGMASTER_DATA_DIR (ringmaster's default:
#      /var/lib/ringmaster as root), RINGMASTER_OPERATOR_TOKEN (default: generated),
#      RINGMASTER_MASTER_KEY / RINGMASTER_MASTER_KEY_FILE (default: $DATA_DIR/master.key,
#      created once with mode 0600), RINGMASTER_JWT_SECRET (default: $DATA_DIR/jwt.secret,
#      created once with mode 0600: tenant JWTs, such as the demo clinic's console token),
#      RM_FAKE_TWILIO_PORT (default: any free port), RM_BUILD_DIR (see scripts/build.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }
die() { printf 'run: %s\n' "$*" >&2; exit 1; }

bold "Packages and build (Release: ringmaster and the fake Twilio only)"
bash scripts/bootstrap.sh --no-prism
BUILD_DIR="$(bash scripts/build.sh Release ringmaster fake-twilio | tail -n1)"
say "built in $BUILD_DIR"

LISTEN="${RINGMASTER_LISTEN:-127.0.0.1:8080}"
BASE="http://$LISTEN"
TOKEN="${RINGMASTER_OPERATOR_TOKEN:-rm-demo-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')}"
# The app's own default, spelled out so the demo can show where the data lives.
if [ -z "${RINGMASTER_DATA_DIR:-}" ]; then
  if [ "$(id -u)" = 0 ]; then RINGMASTER_DATA_DIR=/var/lib/ringmaster
  else RINGMASTER_DATA_DIR="${HOME:-/tmp}/.local/share/ringmaster"; fi
fi
LOGS="$(mktemp -d /tmp/ringmaster-demo.XXXXXX)"
# The master key that encrypts stored credentials: the configured one, else a key file created
# once in the data dir (mode 0600) and reused by later runs — losing it loses the stored tokens.
if [ -z "${RINGMASTER_MASTER_KEY:-}" ] && [ -z "${RINGMASTER_MASTER_KEY_FILE:-}" ]; then
  RINGMASTER_MASTER_KEY_FILE="$RINGMASTER_DATA_DIR/master.key"
  if [ ! -s "$RINGMASTER_MASTER_KEY_FILE" ]; then
    mkdir -p "$RINGMASTER_DATA_DIR"
    (umask 077 && head -c 32 /dev/urandom | base64 -w0 >"$RINGMASTER_MASTER_KEY_FILE.tmp" &&
      echo >>"$RINGMASTER_MASTER_KEY_FILE.tmp" &&
      mv "$RINGMASTER_MASTER_KEY_FILE.tmp" "$RINGMASTER_MASTER_KEY_FILE")
    MASTER_KEY_NOTE="created $RINGMASTER_MASTER_KEY_FILE (mode 0600)"
  else
    MASTER_KEY_NOTE="$RINGMASTER_MASTER_KEY_FILE (from an earlier run)"
  fi
  export RINGMASTER_MASTER_KEY_FILE
else
  MASTER_KEY_NOTE="from the environment"
fi
# The HS256 secret of tenant JWTs (the console's clinic sign-in): the configured one, else one
# created once in the data dir (mode 0600), so the demo clinic's token stays valid across runs.
if [ -z "${RINGMASTER_JWT_SECRET:-}" ] && [ -z "${RINGMASTER_JWT_PUBLIC_KEY_FILE:-}" ]; then
  JWT_SECRET_FILE="$RINGMASTER_DATA_DIR/jwt.secret"
  if [ ! -s "$JWT_SECRET_FILE" ]; then
    mkdir -p "$RINGMASTER_DATA_DIR"
    (umask 077 && head -c 32 /dev/urandom | base64 -w0 >"$JWT_SECRET_FILE.tmp" &&
      mv "$JWT_SECRET_FILE.tmp" "$JWT_SECRET_FILE")
  fi
  RINGMASTER_JWT_SECRET="$(cat "$JWT_SECRET_FILE")"
fi
[ -z "${RINGMASTER_JWT_SECRET:-}" ] || export RINGMASTER_JWT_SECRET
ACCOUNT_SID=AC00000000000000000000000000000001
AUTH_TOKEN=tok123
CLINIC_NUMBER=+14155550100

FAKE_PID="" RM_PID=""
stop_pid() {  # pid name: SIGTERM, then wait up to 30 s
  local pid="$1" name="$2"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name did not stop within 30 s; killing it"; kill -KILL "$pid" 2>/dev/null || true
  else
    say "$name stopped"
  fi
}
cleanup() {
  trap - EXIT INT TERM
  bold "Stopping"
  # SIGTERM, not SIGINT: background jobs of a script ignore SIGINT.
  stop_pid "$RM_PID" "ringmaster (and its embedded PostgreSQL)"
  stop_pid "$FAKE_PID" "fake Twilio"
  if [ -f "$RINGMASTER_DATA_DIR/postgres/data/postmaster.pid" ]; then
    say "warning: $RINGMASTER_DATA_DIR/postgres/data/postmaster.pid is still there"
  fi
  say "logs kept in $LOGS"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bold "Fake Twilio"
cat <<'EOT'
   ************************************************************************
   *  SMS go to a LOCAL FAKE Twilio, not to real phones.                  *
   *  The fake accepts Twilio's REST calls and only records the messages. *
   ************************************************************************
EOT
"$BUILD_DIR/tests/fakes/fake-twilio" --port "${RM_FAKE_TWILIO_PORT:-0}" \
  --account "$ACCOUNT_SID:$AUTH_TOKEN" >"$LOGS/fake-twilio.log" 2>&1 &
FAKE_PID=$!
FAKE_URL=""
for _ in $(seq 100); do
  FAKE_URL="$(sed -n 's/^fake-twilio listening on \([0-9.]*:[0-9]*\).*/http:\/\/\1/p' \
    "$LOGS/fake-twilio.log")"
  [ -n "$FAKE_URL" ] && break
  kill -0 "$FAKE_PID" 2>/dev/null || die "fake Twilio did not start: $(cat "$LOGS/fake-twilio.log")"
  sleep 0.1
done
[ -n "$FAKE_URL" ] || die "fake Twilio did not report its port"
say "$(head -n1 "$LOGS/fake-twilio.log")"
say "demo account $ACCOUNT_SID; recorded SMS: curl $FAKE_URL/_fake/messages"

bold "ringmaster"
say "data dir  $RINGMASTER_DATA_DIR (embedded PostgreSQL under postgres/)"
say "log       $LOGS/ringmaster.log"
say "master key $MASTER_KEY_NOTE"
# Another server on that port would answer our /readyz checks: refuse instead.
if (exec 3<>"/dev/tcp/${LISTEN%:*}/${LISTEN##*:}") 2>/dev/null; then
  die "$LISTEN is already in use; set RINGMASTER_LISTEN=127.0.0.1:<free port>"
fi
(
  unset DATABASE_URL  # embedded PostgreSQL
  export RINGMASTER_LISTEN="$LISTEN" RINGMASTER_DATA_DIR RINGMASTER_OPERATOR_TOKEN="$TOKEN" \
    RINGMASTER_TWILIO_API_BASE="$FAKE_URL"
  # The replayed call below carries no Vapi credential: accept unauthenticated webhooks, a
  # local demo only (ringmaster warns at start-up; serve refuses this without the waiver).
  unset RINGMASTER_VAPI_SECRET RINGMASTER_VAPI_BEARER_TOKEN RINGMASTER_VAPI_HMAC_SECRET
  export RINGMASTER_VAPI_AUTH=none
  exec "$BUILD_DIR/app/ringmaster" serve
) >"$LOGS/ringmaster.log" 2>&1 &
RM_PID=$!
ready=""
for _ in $(seq 600); do  # the first start runs initdb: allow a minute
  if ! kill -0 "$RM_PID" 2>/dev/null; then
    tail -n 20 "$LOGS/ringmaster.log" >&2
    die "ringmaster exited during start-up (log above; is $LISTEN already in use?)"
  fi
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200 ]; then ready=1; break; fi
  sleep 0.1
done
[ -n "$ready" ] || die "ringmaster was not ready within 60 s; see $LOGS/ringmaster.log"
say "listening on $BASE (ready)"
say "operator token: $TOKEN"
say "   (Bearer token for /ops/* and /sessions/*)"

# curl helpers: JSON in, JSON out, status code in $HTTP_STATUS.
api() {  # method path [json-body]
  local out
  out="$(curl -s -w '\n%{http_code}' -X "$1" "$BASE$2" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' ${3:+--data-binary "$3"})"
  HTTP_STATUS="${out##*$'\n'}"
  BODY="${out%$'\n'*}"
}

bold "Demo clinic"
api POST /ops/tenants "$(jq -n --arg sid "$ACCOUNT_SID" --arg tok "$AUTH_TOKEN" '{
  name: "Harbor Dental", time_zone: "America/New_York",
  numbers: [{e164: "+1 415 555 0100", label: "Harbor Dental main line",
             vapi_phone_number_id: "c41e8b27-9d3a-4f6c-b0e5-1a7d2c9f3e80"}],
  assistant_id: "7d2f9a10-6c4b-4e8a-a1d3-2b5c8e0f9a64",
  twilio: {account_sid: $sid, auth_token: $tok}}')"
if [ "$HTTP_STATUS" = 201 ]; then
  TENANT_ID="$(jq -r .id <<<"$BODY")"
  say "created Harbor Dental ($CLINIC_NUMBER): tenant $TENANT_ID"
elif [ "$HTTP_STATUS" = 409 ] && [ "$(jq -r '.error.code? // .error' <<<"$BODY" 2>/dev/null)" = number_taken ]; then
  api GET /sessions/tenants
  TENANT_ID="$(jq -r --arg n "$CLINIC_NUMBER" \
    '[.tenants[] | select(.numbers | index($n))][0].id // empty' <<<"$BODY")"
  [ -n "$TENANT_ID" ] || die "$CLINIC_NUMBER is taken but no tenant lists it: $BODY"
  say "Harbor Dental ($CLINIC_NUMBER) exists from an earlier run: tenant $TENANT_ID"
else
  die "POST /ops/tenants answered $HTTP_STATUS: $BODY"
fi

# The recorded call, re-dated: a weekday at least 2 days ahead (in the clinic's zone), so the
# default rules (Mon–Fri, 60 min notice) have slots; a new call id makes every run a new call.
weekday_from() {  # YYYY-MM-DD → that day, or the Monday after when it is a weekend day
  local d="$1"
  while [ "$(date -d "$d" +%u)" -gt 5 ]; do d="$(date -d "$d +1 day" +%F)"; done
  echo "$d"
}
CALL_ID="$(cat /proc/sys/kernel/random/uuid)"
DATE="$(weekday_from "$(TZ=America/New_York date -d '+2 days' +%F)")"
TIME="" HOLD_ID=""
DIR="$ROOT/docs/examples/inbound-call"

send() {  # file [extra sed expression]: fills the placeholders and posts the message
  local body
  body="$(sed -e "s/{{CALL_ID}}/$CALL_ID/g" -e "s/{{DATE}}/$DATE/g" -e "s/{{TIME}}/$TIME/g" \
    -e "s/{{HOLD_ID}}/$HOLD_ID/g" ${2:+-e "$2"} "$1")"
  BODY="$(curl -s -X POST "$BASE/webhooks/vapi" -H 'Content-Type: application/json' \
    --data-binary "$body")" || die "POST /webhooks/vapi failed for $(basename "$1")"
}
brief() {  # one line for a webhook reply
  jq -r 'if .results then .results[] | "\(.name): " + (.result // ("ERROR " + .error))
         elif has("state") then "state \(.state)" + (if .duplicate then " (duplicate)" else "" end)
         else tostring end' <<<"$BODY" | cut -c1-150
}
tool_result() { jq -r '.results[0].result // empty' <<<"$BODY"; }

bold "Replaying a recorded inbound call (docs/examples/inbound-call/)"
say "call id $CALL_ID, caller +14155550177 → $CLINIC_NUMBER"
for f in "$DIR"/*.json; do
  name="$(basename "$f" .json)"
  case "$name" in
    *check-availability)
      # Like the agent would: ask for the next weekday until one has a free slot.
      for try in $(seq 10); do
        # A new toolCallId per retry, or the exactly-once store would replay the first answer.
        send "$f" "$( [ "$try" -gt 1 ] && echo "s/\"call_7Hq2Lm9Xw4Rb1Tz6Vn3Ks8Pd/\"call_7Hq2Lm9Xw4Rb1Tz6Vn3Ks8Pd_$try/g")"
        TIME="$(tool_result | jq -r '.slots[0] // empty' 2>/dev/null | cut -c12-16)"
        say "$name ($DATE): $(tool_result | jq -c '.slots' 2>/dev/null | cut -c1-110)"
        [ -n "$TIME" ] && break
        DATE="$(weekday_from "$(date -d "$DATE +1 day" +%F)")"
      done
      [ -n "$TIME" ] || die "no free slot found in ten weekdays: $BODY"
      ;;
    *reserve-slot)
      send "$f"
      HOLD_ID="$(tool_result | jq -r '.hold_id // empty' 2>/dev/null)"
      say "$name: $(brief)"
      [ -n "$HOLD_ID" ] || die "reserve_slot returned no hold_id: $BODY"
      ;;
    *)
      send "$f"
      say "$name: $(brief)"
      ;;
  esac
done

bold "The call, as ringmaster recorded it (GET /sessions/calls/$CALL_ID)"
api GET "/sessions/calls/$CALL_ID"
[ "$HTTP_STATUS" = 200 ] || die "GET /sessions/calls/$CALL_ID answered $HTTP_STATUS: $BODY"
CALL_VIEW="$BODY"
jq -r '"   state \(.state), outcome \(.outcome // "none"), lead score \(.lead_score // "none") (\(.lead_tier // "unscored"))",
       "   events: " + ([.events[]? | (.kind + (if .status then ":" + .status else "" end))] | join(", "))' \
  <<<"$CALL_VIEW"
say "appointment (the view's holds, times in UTC):"
jq -r '.holds[] | "     \(.status) \(.start) → \(.end)  id \(.id)"' <<<"$CALL_VIEW"

bold "SMS audit trail"
say "what the fake Twilio accepted (GET $FAKE_URL/_fake/messages):"
curl -s "$FAKE_URL/_fake/messages" |
  jq -r '(if type == "array" then . else .messages end)[-1] | "     \(.sid) \(.from) → \(.to) [\(.status)]: \(.body)"'
# The embedded PostgreSQL has no TCP listener: its Unix socket is in a private (0700) directory
# and the superuser's password is in a 0600 .pgpass file next to it.
PG_DIR="$RINGMASTER_DATA_DIR/postgres"
PSQL="env PGPASSFILE=$PG_DIR/pgpass psql -h $PG_DIR/socket -p 5432 -U postgres -d ringmaster"
if [ -S "$PG_DIR/socket/.s.PGSQL.5432" ] && command -v psql >/dev/null; then
  say "the audit row in the messages table ($PSQL):"
  $PSQL -X -A -t -F ' | ' -c "SELECT direction, method, recipient, status, external_message_id,
      content FROM messages WHERE call_id = '$CALL_ID' ORDER BY created_at" 2>&1 | sed 's/^/     /'
fi

# The demo clinic's console token: an admin JWT for its tenant (HS256 with the demo's secret;
# 30 days), made with openssl (ca-certificates depends on it) as any identity provider would.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
CLINIC_TOKEN=""
if [ -n "${RINGMASTER_JWT_SECRET:-}" ]; then
  jwt_head="$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)"
  jwt_body="$(jq -cjn --arg org "$TENANT_ID" --argjson now "$(date +%s)" \
    '{sub: "demo-admin", iat: $now, exp: ($now + 30 * 86400),
      app_metadata: {org_id: $org, role: "admin"}}' | b64url)"
  jwt_sig="$(printf '%s' "$jwt_head.$jwt_body" |
    openssl dgst -sha256 -mac HMAC -macopt "key:$RINGMASTER_JWT_SECRET" -binary | b64url)"
  CLINIC_TOKEN="$jwt_head.$jwt_body.$jwt_sig"
fi

bold "The console: $BASE/console/"
say "open it in a browser on this machine and sign in (field \"Token\") with:"
if [ -n "$CLINIC_TOKEN" ]; then
  say "  the demo clinic (Harbor Dental, admin), valid 30 days:"
  say "    $CLINIC_TOKEN"
else
  say "  (no demo clinic token: RINGMASTER_JWT_PUBLIC_KEY_FILE is set; use your identity provider's)"
fi
say "  the operator: $TOKEN"
say "see docs/console.md"

bold "ringmaster is serving on $BASE — press Ctrl-C to stop"
cat <<EOT
   export TOKEN='$TOKEN'
   curl -s $BASE/sessions/calls/$CALL_ID -H "Authorization: Bearer \$TOKEN"
   curl -s $BASE/sessions/tenants -H "Authorization: Bearer \$TOKEN"
   curl -s $FAKE_URL/_fake/messages
   $PSQL
   tail -f $LOGS/ringmaster.log
EOT
wait "$RM_PID" || true
RM_PID=""
die "ringmaster exited on its own; see $LOGS/ringmaster.log"
