-- Shared by bench/tool-calls.lua, legacy-check.lua, phone-lookup.lua and status-update.lua (loaded
-- with dofile): per-thread counters and one BENCH line from done(), in the format bench/run.sh
-- parses. A script sets `expect_first` (a substring the first reply of each thread
-- must contain) and, optionally, `error_marker` (a substring that marks a failed tool or event).
local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

-- Globals, not locals: done() reads them from each thread's Lua state with thread:get().
non2xx, tool_errors, checked, first_ok = 0, 0, 0, 0
expect_first, error_marker = nil, nil

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if error_marker and body and string.find(body, error_marker, 1, true) then
    tool_errors = tool_errors + 1
  end
  if checked == 0 then
    checked = 1
    if body and expect_first and string.find(body, expect_first, 1, true) then first_ok = 1 end
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
