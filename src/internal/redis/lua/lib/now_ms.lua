-- The store's time, unix ms: the server's clock (so every app instance agrees) plus OFFSET
-- (0 outside tests). Read once per script call: the calls of a batch run at one moment, as Redis
-- itself sees it (keys expire by the time the script started).
local now_read = nil
local function now_ms()
  if now_read == nil then
    local t = redis.call('TIME')
    now_read = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + OFFSET
  end
  return now_read
end
