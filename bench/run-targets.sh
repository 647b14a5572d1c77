# bench/run-targets.sh — the measurements of bench/run.sh (sourced by it after start-up and
# seeding; uses its variables and functions). Order: target 6 first (idle RSS right after seeding,
# then kill -9 and restart), then the alternating wrk rounds (targets 1-4), then target 5 and the
# answer comparison of target 2, then the table.

# Weekdays at least two days ahead (minimum notice never empties them), spread over five days.
DATES=""
for d in $(seq 2 14); do
  day=$(date -d "+$d day" +%F)
  [ "$(date -d "$day" +%u)" -le 5 ] && DATES="$DATES${DATES:+,}$day"
  [ "$(echo "$DATES" | tr ',' '\n' | wc -l)" -ge 5 ] && break
done
RUN_TAG="$(date +%s)"
RESULTS="$LOGS/results.txt"
: >"$RESULTS"
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# --- target 6: 10,000 live calls ---------------------------------------------------------------
LIVE_LINE=""
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$RM_PID/status"; }
status_bodies() {  # status tag count: one status-update per call <tag>-<i>, spread over tenants
  seq 0 $(($3 - 1)) | awk -v st="$1" -v tag="$2" -v prefix="$NUMBER_PREFIX" -v n="$TENANTS" '{
    printf "{\"message\":{\"type\":\"status-update\",\"status\":\"%s\"%s,\"call\":{\"id\":\"%s-%d\",", st,
      (st == "ended" ? ",\"endedReason\":\"customer-ended-call\"" : ""), tag, $1
    printf "\"type\":\"inboundPhoneCall\",\"status\":\"%s\",\"customer\":{\"number\":\"+14155550177\"}},", st
    printf "\"phoneNumber\":{\"number\":\"%s%04d\"},\"customer\":{\"number\":\"+14155550177\"}}}\n",
      prefix, ($1 * 7919) % n }'
}
fire_status() {  # status tag count → FIRE line; every reply must be 2xx {"received":true,…}
  local line
  line=$(status_bodies "$1" "$2" "$3" | "$FIRE_BIN" --port "$RM_PORT" --path /webhooks/vapi \
    --threads "$CONNS" --header "X-Vapi-Secret: $VAPI_SECRET" --match '"received":true') \
    || die "bench-fire failed sending $1 for $2 ($line)"
  [ "$(field "$line" ok)" -eq "$3" ] && [ "$(field "$line" matched)" -eq "$3" ] \
    || die "status-update $1 for $2: not every reply was 2xx {\"received\":true} ($line)"
  echo "$line"
}
count_live() {  # calls named <tag>-<i> in GET /sessions/calls (0 while it does not answer)
  { curl -fsS --max-time 60 -H "Authorization: Bearer $TOKEN" \
      "http://127.0.0.1:$RM_PORT/sessions/calls" 2>/dev/null || true; } |
    { grep -o "\"$1-[0-9]*\"" || true; } | sort -u | wc -l  # none yet: 0, not a failure
}
if want 6 && [ "$LIVE" -gt 0 ]; then
  note "target 6: $LIVE live calls (status-update in-progress), RSS, kill -9 and restart"
  sleep 2
  rss_idle=$(rss_kb)
  LTAG="live-$RUN_TAG"
  live_fire=$(fire_status in-progress "$LTAG" "$LIVE")
  sleep 2
  rss_live=$(rss_kb)
  t0=$(date +%s%N)
  listed=$(count_live "$LTAG")
  list_ms=$(( ($(date +%s%N) - t0) / 1000000 ))  # one GET /sessions/calls with them all
  [ "$listed" -eq "$LIVE" ] || die "GET /sessions/calls lists $listed of $LIVE live calls before kill -9"
  kill -KILL "$RM_PID"
  wait "$RM_PID" 2>/dev/null || true
  t0=$(date +%s%N)
  start_ringmaster
  ready_ms="" all_ms=""
  while [ -z "$all_ms" ]; do
    kill -0 "$RM_PID" 2>/dev/null || { tail -n 20 "$LOGS/ringmaster.log" >&2; die "ringmaster exited after restart"; }
    now_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$now_ms" -le 180000 ] || die "after restart GET /sessions/calls did not list all $LIVE calls within 180 s"
    if [ -z "$ready_ms" ]; then
      curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$RM_PORT/readyz" 2>/dev/null \
        && ready_ms=$(( ($(date +%s%N) - t0) / 1000000 )) || sleep 0.02
      continue
    fi
    listed=$(count_live "$LTAG")
    [ "$listed" -eq "$LIVE" ] && all_ms=$(( ($(date +%s%N) - t0) / 1000000 )) || sleep 0.05
  done
  LIVE_LINE="calls=$LIVE idle_kb=$rss_idle live_kb=$rss_live list_ms=$list_ms ready_ms=$ready_ms all_ms=$all_ms"
  note "target 6: $LIVE_LINE; sending 'ended' for all of them"
  echo "live $LIVE_LINE $live_fire" >>"$RESULTS"
  fire_status ended "$LTAG" "$LIVE" >/dev/null  # the rounds below run without them
fi

# --- alternating wrk rounds (targets 1-4) ------------------------------------------------------
run_wrk() {  # name duration url script header [lua args…] → BENCH line; dies when something broke
  local name=$1 dur=$2 url=$3 script=$4 header=$5 out="$LOGS/$1.txt" line
  shift 5
  BENCH_LEGACY_LUA="$SHARED/lua/calendar-check.lua" \
    wrk -t "$WTHREADS" -c "$CONNS" -d "$dur" --latency -H "$header" -s "$HERE/$script" "$url" \
    -- "$@" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed for $name"; }
  line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "wrk printed no BENCH line for $name"; }
  local req non2xx terr seen ok sock
  req=$(field "$line" requests); non2xx=$(field "$line" non2xx); terr=$(field "$line" tool_errors)
  seen=$(field "$line" first_checked); ok=$(field "$line" first_ok); sock=$(field "$line" socket_errors)
  [ "$req" -gt 0 ] || die "$name: no requests completed"
  [ "$non2xx" -eq 0 ] || { tail -n 5 "$out" >&2; die "$name: $non2xx non-2xx responses"; }
  [ "$terr" -eq 0 ] || { tail -n 5 "$out" >&2; die "$name: $terr replies were tool errors or duplicates"; }
  [ "$seen" -gt 0 ] && [ "$ok" -eq "$seen" ] || die "$name: the first reply lacks the expected member"
  [ "$sock" -eq 0 ] || note "$name: $sock socket errors (see $out)"
  echo "$line"
}
MEASURES=""
want 1 && MEASURES="$MEASURES hello-vapi rm-vapi"
want 2 && MEASURES="$MEASURES express-legacy rm-legacy"
want 3 && MEASURES="$MEASURES hello-lookup rm-lookup"
want 4 && MEASURES="$MEASURES rm-status"
LOOKUP_SET="+1212555:2000,$NUMBER_PREFIX:$TENANTS"
measure() {  # key tag duration → BENCH line
  local key=$1 tag=$2 dur=$3 hello="http://127.0.0.1:$HELLO_PORT" rm="http://127.0.0.1:$RM_PORT"
  local vapi="X-Vapi-Secret: $VAPI_SECRET" service="Authorization: Bearer $SERVICE_TOKEN"
  case $key in
    hello-vapi) run_wrk "$tag-$key" "$dur" "$hello/webhooks/vapi" tool-calls.lua "$vapi" \
                  "$RUN_TAG-$tag-h" "$TENANTS" "$CALLS" "$PER_CALL" "$DATES" "$NUMBER_PREFIX" ;;
    rm-vapi) run_wrk "$tag-$key" "$dur" "$rm/webhooks/vapi" tool-calls.lua "$vapi" \
               "$RUN_TAG-$tag-r" "$TENANTS" "$CALLS" "$PER_CALL" "$DATES" "$NUMBER_PREFIX" ;;
    express-legacy) run_wrk "$tag-$key" "$dur" "http://127.0.0.1:$EXPRESS_PORT/" legacy-check.lua \
                      "X-Bench: 1" "" ;;
    rm-legacy) run_wrk "$tag-$key" "$dur" "$rm/" legacy-check.lua "X-Bench: 1" "$VAPI_SECRET" ;;
    hello-lookup) run_wrk "$tag-$key" "$dur" "$hello/" phone-lookup.lua "$service" "$LOOKUP_SET" ;;
    rm-lookup) run_wrk "$tag-$key" "$dur" "$rm/" phone-lookup.lua "$service" "$LOOKUP_SET" ;;
    rm-status) run_wrk "$tag-$key" "$dur" "$rm/webhooks/vapi" status-update.lua "$vapi" \
                 "$RUN_TAG-$tag" "$TENANTS" "$STATUS_SLOTS" "$NUMBER_PREFIX" ;;
  esac
}
if [ -n "$MEASURES" ]; then
  if want 1 && [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
    # A tenant actor loads its calendar once, on its clinic's first call after a start (then its
    # snapshot stays current): one check_availability per clinic first, so that every round
    # measures the steady state whichever clinics its calls land on. (Without it, the warm-up
    # below reaches only a third of the clinics, and the first round pays the other loads:
    # a few requests of each such clinic wait ~50-150 ms for it.)
    first="$WORK/first-touch.jsonl"
    : >"$first"
    for t in $(seq 0 $((TENANTS - 1))); do
      printf '{"message":{"type":"tool-calls","call":{"id":"first-%s-%d","type":"inboundPhoneCall"},"phoneNumber":{"number":"%s%04d"},"customer":{"number":"+14155550177"},"toolCallList":[{"id":"first-%s-%d-tc","type":"function","function":{"name":"check_availability","arguments":{"date":"%s"}}}]}}\n' \
        "$RUN_TAG" "$t" "$NUMBER_PREFIX" "$t" "$RUN_TAG" "$t" "${DATES%%,*}" >>"$first"
    done
    t0=$(date +%s%N)
    "$FIRE_BIN" --port "$RM_PORT" --path /webhooks/vapi --threads "$CONNS" \
      --header "X-Vapi-Secret: $VAPI_SECRET" <"$first" >/dev/null \
      || die "bench-fire failed for the first call of each clinic"
    note "first call of each of the $TENANTS clinics (tenant actors load): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  fi
  if [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
    note "warming up ($WARMUP each:$MEASURES)"
    for key in $MEASURES; do measure "$key" warm "$WARMUP" >/dev/null; done
  fi
  for round in $(seq "$ROUNDS"); do
    note "round $round of $ROUNDS ($DURATION each, wrk -t$WTHREADS -c$CONNS:$MEASURES)"
    for key in $MEASURES; do
      echo "$key $round $(measure "$key" "r$round" "$DURATION")" >>"$RESULTS"
    done
  done
fi

# --- target 5: 64 concurrent reserve_slot on one slot -----------------------------------------
CONTEND_LINE=""
if want 5; then
  # The last synthetic tenant (America/New_York, default rules): starts on the hour from 09:00 on
  # the dates above, SLOTS of them, each contested by CONTENDERS calls at once (bench-fire --batch).
  number=$(printf "%s%04d" "$NUMBER_PREFIX" $((TENANTS - 1)))
  bodies="$WORK/reserve.jsonl"
  : >"$bodies"
  : >"$WORK/reserve-warm.jsonl"
  s=0
  for day in $(echo "$DATES" | tr ',' ' '); do
    for h in $(seq 9 16); do  # hourly: a hold blocks slot + buffer (45 min), so not every 30 min
      [ "$s" -lt "$SLOTS" ] || break 2
      start=$(TZ=America/New_York date -d "$day $(printf %02d:00 "$h")" +%Y-%m-%dT%H:%M:%S%:z)
      for k in $(seq "$CONTENDERS"); do
        printf '{"message":{"type":"tool-calls","call":{"id":"rs-%s-s%d-c%d","type":"inboundPhoneCall"},"phoneNumber":{"number":"%s"},"customer":{"number":"+1415555%04d"},"toolCallList":[{"id":"rs-%s-s%d-c%d-tc","type":"function","function":{"name":"reserve_slot","arguments":{"start":"%s"}}}]}}\n' \
          "$RUN_TAG" "$s" "$k" "$number" "$k" "$RUN_TAG" "$s" "$k" "$start" >>"$bodies"
        # As real callers do, each call first asks what is free that day (not timed).
        printf '{"message":{"type":"tool-calls","call":{"id":"rs-%s-s%d-c%d","type":"inboundPhoneCall"},"phoneNumber":{"number":"%s"},"customer":{"number":"+1415555%04d"},"toolCallList":[{"id":"rs-%s-s%d-c%d-chk","type":"function","function":{"name":"check_availability","arguments":{"date":"%s"}}}]}}\n' \
          "$RUN_TAG" "$s" "$k" "$number" "$k" "$RUN_TAG" "$s" "$k" "$day" >>"$WORK/reserve-warm.jsonl"
      done
      s=$((s + 1))
    done
  done
  [ "$s" -eq "$SLOTS" ] || die "only $s slots on the dates $DATES (BENCH_SLOTS at most 40)"
  note "target 5: $SLOTS slots x $CONTENDERS calls: check_availability first (not timed), then concurrent reserve_slot"
  "$FIRE_BIN" --port "$RM_PORT" --path /webhooks/vapi --threads "$CONNS" \
    --header "X-Vapi-Secret: $VAPI_SECRET" <"$WORK/reserve-warm.jsonl" >/dev/null \
    || die "bench-fire failed for the calls' check_availability before the reserves"
  CONTEND_LINE=$("$FIRE_BIN" --port "$RM_PORT" --path /webhooks/vapi --threads "$CONTENDERS" --batch \
    --header "X-Vapi-Secret: $VAPI_SECRET" --match 'hold_id' --replies "$LOGS/reserve-replies.txt" <"$bodies") \
    || die "bench-fire failed for reserve_slot ($CONTEND_LINE)"
  echo "contend $CONTEND_LINE" >>"$RESULTS"
  [ "$(field "$CONTEND_LINE" non2xx)" -eq 0 ] || die "reserve_slot: non-2xx replies ($CONTEND_LINE)"
  [ "$(field "$CONTEND_LINE" batches_max)" -le 1 ] || die "reserve_slot: MORE THAN ONE WINNER on a slot ($CONTEND_LINE)"
  [ "$(field "$CONTEND_LINE" batches_zero)" -eq 0 ] || die "reserve_slot: a slot had no winner ($CONTEND_LINE)"
fi

# --- target 2: same answers? -------------------------------------------------------------------
COMPARE_LINE=""
if want 2 && [ "$COMPARE" -gt 0 ]; then
  COMPARE_LINE=$(EXPRESS_URL="http://127.0.0.1:$EXPRESS_PORT" RM_URL="http://127.0.0.1:$RM_PORT" \
    VAPI_SECRET="$VAPI_SECRET" node "$HERE/compare-answers.js" "$COMPARE" 2>"$LOGS/compare.log") \
    || { cat "$LOGS/compare.log" >&2; die "comparing the legacy answers failed"; }
fi

# --- table -------------------------------------------------------------------------------------
median() {  # key field → median over the rounds
  grep "^$1 " "$RESULTS" | tr ' ' '\n' | sed -n "s/^$2=//p" | sort -n |
    awk '{a[NR] = $1} END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2];
                            else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
{
  printf '\nringmaster bench (%s; %s; wrk -t%s -c%s -d%s, %s alternating rounds, medians)\n' \
    "$(date '+%Y-%m-%d %H:%M %Z')" "$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo "$SRC")" \
    "$WTHREADS" "$CONNS" "$DURATION" "$ROUNDS"
  echo "PostgreSQL: $PG_SETTINGS"
  [ -n "$SEED_LEGACY" ] && echo "baseline data in ringmaster: ${SEED_LEGACY#SEEDLEGACY }"
  if [ -n "$MEASURES" ]; then
    printf '\n%-44s %10s %9s %9s\n' "measurement" "req/s" "p50 ms" "p99 ms"
    for key in $MEASURES; do
      case $key in
        hello-vapi) label="bench-hello POST /webhooks/vapi" ;;
        rm-vapi) label="ringmaster check_availability (Vapi)" ;;
        express-legacy) label="Express+pg legacy calendar check" ;;
        rm-legacy) label="ringmaster legacy calendar check" ;;
        hello-lookup) label="bench-hello GET phone-lookup" ;;
        rm-lookup) label="ringmaster GET phone-lookup" ;;
        rm-status) label="ringmaster status-update (fresh calls)" ;;
      esac
      printf '%-44s %10.0f %9.2f %9.2f\n' "$label" "$(median "$key" rps)" \
        "$(echo "$(median "$key" p50_us)" | awk '{print $1 / 1000}')" \
        "$(echo "$(median "$key" p99_us)" | awk '{print $1 / 1000}')"
    done
  fi
  printf '\n%-3s %-36s %-44s %s\n' "#" "target" "measured" "result"
  met() { awk "BEGIN { exit !($1) }" && echo "met" || echo "NOT met"; }
  row() { printf '%-3s %-36s %-44s %s\n' "$1" "$2" "$3" "$4"; }
  if want 1; then
    r=$(awk -v a="$(median rm-vapi rps)" -v b="$(median hello-vapi rps)" 'BEGIN {printf "%.1f", (b > 0 ? 100 * a / b : 0)}')
    p=$(awk -v p="$(median rm-vapi p99_us)" 'BEGIN {printf "%.2f", p / 1000}')
    row 1 "Vapi check: >=50% hello, p99<=5ms" "$r % of hello, p99 $p ms" "$(met "$r >= 50 && $p <= 5")"
  fi
  if want 2; then
    x=$(awk -v a="$(median rm-legacy rps)" -v b="$(median express-legacy rps)" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
    row 2 "legacy check: >=10x Express+pg" "${x}x the baseline" "$(met "$x >= 10")"
  fi
  if want 3; then
    r=$(awk -v a="$(median rm-lookup rps)" -v b="$(median hello-lookup rps)" 'BEGIN {printf "%.1f", (b > 0 ? 100 * a / b : 0)}')
    row 3 "phone lookup: >=70% hello" "$r % of hello" "$(met "$r >= 70")"
  fi
  if want 4; then
    a=$(median rm-status rps); p=$(awk -v p="$(median rm-status p99_us)" 'BEGIN {printf "%.2f", p / 1000}')
    row 4 "status-update: >=5000/s, p99<=20ms" "$(printf '%.0f' "$a")/s, p99 $p ms" "$(met "$a >= 5000 && $p <= 20")"
  fi
  if want 5; then
    p=$(awk -v p="$(field "$CONTEND_LINE" p99_us)" 'BEGIN {printf "%.2f", p / 1000}')
    w="$(field "$CONTEND_LINE" batches_one)/$SLOTS slots one winner"
    row 5 "reserve race: 1 winner, p99<=20ms" "$w, p99 $p ms" "$(met "$p <= 20")"
  fi
  if want 6 && [ -n "$LIVE_LINE" ]; then
    mb=$(awk -v a="$rss_live" -v b="$rss_idle" 'BEGIN {printf "%.1f", (a - b) / 1024}')
    kb=$(awk -v a="$rss_live" -v b="$rss_idle" -v n="$LIVE" 'BEGIN {printf "%.1f", (a - b) / n}')
    row 6a "$LIVE live calls: <=100 MB above idle" "$mb MB ($kb KB/call; idle $((rss_idle / 1024)) MB)" "$(met "$mb <= 100")"
    s=$(awk -v m="$all_ms" 'BEGIN {printf "%.2f", m / 1000}')
    row 6b "kill -9, restart: all listed <=2 s" "$s s (ready after $(awk -v m="$ready_ms" 'BEGIN {printf "%.2f", m / 1000}') s)" "$(met "$s <= 2")"
  fi
  if [ -n "$COMPARE_LINE" ]; then
    echo
    echo "legacy answers, Express vs ringmaster: ${COMPARE_LINE#COMPARE } (past dates: ringmaster offers no start before now; details in compare.log)"
  fi
  [ -n "$LIVE_LINE" ] && echo "live calls: in-progress sent at $(field "$live_fire" rps)/s (bench-fire, $CONNS threads, p99 $(awk -v p="$(field "$live_fire" p99_us)" 'BEGIN {printf "%.1f", p / 1000}') ms); one GET /sessions/calls listing all $LIVE before kill -9: $list_ms ms"
  echo "logs and raw lines: $LOGS"
} | tee "$LOGS/table.txt"
