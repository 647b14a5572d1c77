-- wrk script for bench/run.sh, target 4: Vapi status-update webhooks for fresh calls, never a
-- duplicate. Each thread keeps `slots` call slots; a slot's call goes ringing → in-progress →
-- ended (one status per request) and is then replaced by a new call id on another tenant. The
-- statuses of one call are `slots` requests apart, so each is normally acknowledged before the
-- next is sent. A reply must be {"received":true,…}; "duplicate":true counts as an error.
-- Args (after --): tag tenants slots number_prefix
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk-common.lua")

local tag, tenants, slots, prefix
local n = 0
local STATUSES = { "ringing", "in-progress", "ended" }

function init(args)
  tag = args[1] or "run"
  tenants = tonumber(args[2] or "1000")
  slots = tonumber(args[3] or "1000")
  prefix = args[4] or "+1212200"
  expect_first = '"received":true'
  error_marker = '"duplicate":true'
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local slot = n % slots
  local step = math.floor(n / slots)
  local generation = math.floor(step / 3)
  local status = STATUSES[step % 3 + 1]
  n = n + 1
  local call_id = string.format("su-%s-t%d-g%d-s%d", tag, tid, generation, slot)
  local tenant = (slot * 7919 + generation * 104729 + tid * 15485863) % tenants
  local number = string.format("%s%04d", prefix, tenant)
  local ended = status == "ended" and ',"endedReason":"customer-ended-call"' or ""
  local body = '{"message":{"timestamp":' .. string.format("%.0f", os.time() * 1000) ..
    ',"type":"status-update","status":"' .. status .. '"' .. ended ..
    ',"call":{"id":"' .. call_id .. '","type":"inboundPhoneCall","status":"' .. status ..
    '","customer":{"number":"+14155550177"}},"phoneNumber":{"number":"' .. number ..
    '"},"customer":{"number":"+14155550177"}}}'
  return wrk.format(nil, "/webhooks/vapi", nil, body)
end
