-- The store's time, unix ms: the server's clock (so every app instance agrees) plus OFFSET
-- (0 outside tests).
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + OFFSET
end
