-- wrk script for bench/run.sh: one check_availability tool call per request.
-- Every request carries a FRESH toolCallId (ringmaster stores each one exactly once, so a
-- repeated id would measure the cheap replay path, not the real check). Requests are spread
-- over many tenants and live calls: each thread keeps `calls` call slots; a slot's call takes
-- `per_call` tool calls and is then replaced by a new call id on another tenant, like real
-- calls that come and go.
-- Args (after --): tag tenants calls_per_thread per_call dates(comma list) number_prefix
-- The response hook counts non-2xx statuses and tool errors, and checks that the first
-- response carries "results"; done() prints one BENCH line that run.sh parses.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local tag, tenants, calls, per_call, dates, prefix
local n = 0
-- Globals, not locals: done() reads them from each thread's Lua state with thread:get().
non2xx, tool_errors, checked, first_ok = 0, 0, 0, 0

function init(args)
  tag = args[1] or "run"
  tenants = tonumber(args[2] or "1000")
  calls = tonumber(args[3] or "150")
  per_call = tonumber(args[4] or "10")
  dates = {}
  for d in string.gmatch(args[5] or "2030-01-15", "[^,]+") do table.insert(dates, d) end
  prefix = args[6] or "+1212200"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local slot = n % calls
  local generation = math.floor(n / (calls * per_call))
  local call_id = string.format("bench-%s-t%d-g%d-c%d", tag, tid, generation, slot)
  -- Multiplicative spread so neighbouring slots and generations land on unrelated tenants.
  local tenant = (slot * 7919 + generation * 104729 + tid * 15485863) % tenants
  local number = string.format("%s%04d", prefix, tenant)
  local date = dates[(n % #dates) + 1]
  local body = '{"message":{"type":"tool-calls","call":{"id":"' .. call_id ..
    '","type":"inboundPhoneCall"},"phoneNumber":{"number":"' .. number ..
    '"},"customer":{"number":"+14155550177"},"toolCallList":[{"id":"tc-' .. tag .. '-' ..
    tid .. '-' .. n .. '","type":"function","function":{"name":"check_availability",' ..
    '"arguments":{"date":"' .. date .. '"}}}]}}'
  return wrk.format(nil, "/webhooks/vapi", nil, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  -- Tool failures come back as HTTP 200 with an "error" member instead of "result"; a run full
  -- of them (unknown number, timeouts) would measure the wrong path.
  if body and string.find(body, '"error"', 1, true) then tool_errors = tool_errors + 1 end
  if checked == 0 then
    checked = 1
    if body and string.find(body, '"results"', 1, true) then first_ok = 1 end
  end
end

function done(summary, latency, requests)
  local bad, terr, firsts, seen = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non2xx") or 0)
    terr = terr + (t:get("tool_errors") or 0)
    if (t:get("checked") or 0) == 1 then
      seen = seen + 1
      firsts = firsts + (t:get("first_ok") or 0)
    end
  end
  io.write(string.format(
    "BENCH requests=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d " ..
    "tool_errors=%d first_checked=%d first_ok=%d socket_errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    bad, terr, seen, firsts,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout))
end
