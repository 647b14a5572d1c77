-- wrk script for bench/run.sh, target 3: GET /api/inbound/phone-lookup/{phone}. Every request
-- names the next number of the seeded set (all of them answer 200), shuffled with a fixed seed
-- and started at a different place in each thread. The service token comes from wrk -H.
-- Args (after --): ranges, e.g. "+1212555:2000,+1212200:1000" (prefix, then numbers 0000..count-1)
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk-common.lua")

local reqs, i = {}, 0

function init(args)
  expect_first = '"inbound_phone_number"'
  local numbers = {}
  for prefix, count in string.gmatch(args[1] or "+1212555:2000", "([^:,]+):(%d+)") do
    for k = 0, tonumber(count) - 1 do table.insert(numbers, string.format("%s%04d", prefix, k)) end
  end
  math.randomseed(20261205)
  for k = #numbers, 2, -1 do
    local j = math.random(k)
    numbers[k], numbers[j] = numbers[j], numbers[k]
  end
  for _, num in ipairs(numbers) do
    table.insert(reqs, wrk.format("GET", "/api/inbound/phone-lookup/" .. num))
  end
  i = ((tid or 0) * 7919) % #reqs
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end
