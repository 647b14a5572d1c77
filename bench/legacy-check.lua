-- wrk script for bench/run.sh, target 2: the seeds' legacy calendar check with the Express
-- baseline's own request bodies. It runs ../shared/bench/lua/calendar-check.lua unchanged (2,000
-- pre-built bodies from a fixed seed, so every server gets the same ones; path in
-- $BENCH_LEGACY_LUA) and adds only the X-Vapi-Secret header (ringmaster requires the Vapi
-- credential on this route; Express ignores it) and run.sh's checks: non-2xx replies, tool results
-- with "success":false, and a first reply that carries "toolResult".
-- Args (after --): vapi_secret
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local shared = os.getenv("BENCH_LEGACY_LUA") or (dir .. "../../shared/bench/lua/calendar-check.lua")
dofile(shared)                  -- defines init() and request(), and report.lua's done()
dofile(dir .. "wrk-common.lua") -- replaces done() with the BENCH line, adds response()

local secret = ""
local format = wrk.format
-- The shared init() builds its requests with its own header table: add the credential there.
wrk.format = function(method, path, headers, body)
  local h = {}
  for k, v in pairs(headers or {}) do h[k] = v end
  if secret ~= "" then h["X-Vapi-Secret"] = secret end
  return format(method, path, h, body)
end

local shared_init = init
function init(args)
  secret = args[1] or ""
  expect_first = '"toolResult"'
  error_marker = 'success\\":false'  -- inside toolResult.content, a JSON string
  shared_init(args)
end
