-- wrk script for bench/run.sh: one check_availability tool call per request.
-- Every request carries a FRESH toolCallId (ringmaster stores each one exactly once, so a
-- repeated id would measure the cheap replay path, not the real check). Requests are spread
-- over many tenants and live calls: each thread keeps `calls` call slots; a slot's call takes
-- `per_call` tool calls and is then replaced by a new call id on another tenant, like real
-- calls that come and go.
-- Args (after --): tag tenants calls_per_thread per_call dates(comma list) number_prefix
-- The response hook counts non-2xx statuses and tool errors, and checks that the first
-- response carries "results"; done() prints one BENCH line that run.sh parses.

-- setup(), response() and done() (the counters and the BENCH line): bench/wrk-common.lua.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk-common.lua")
-- Tool failures come back as HTTP 200 with an "error" member instead of "result"; a run full of
-- them (unknown number, timeouts) would measure the wrong path.
expect_first, error_marker = '"results"', '"error"'

local tag, tenants, calls, per_call, dates, prefix
local n = 0

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
