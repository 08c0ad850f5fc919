-- wrk script of stress/soak.sh: 3 reads for 1 write on stress/apps/overload, keys 0..99,
-- each connection waiting SOAK_DELAY_MS (default 5) between requests (moderate load).
local n = 0
local delay_ms = tonumber(os.getenv("SOAK_DELAY_MS") or "5")

request = function()
  n = n + 1
  local k = math.random(0, 99)
  if n % 4 == 0 then
    return wrk.format("POST", "/soak/write", { ["Content-Type"] = "application/json" },
      '{"k":' .. k .. ',"v":"soak payload ' .. n .. '"}')
  end
  return wrk.format("GET", "/soak/read?k=" .. k)
end

delay = function()
  return delay_ms
end
