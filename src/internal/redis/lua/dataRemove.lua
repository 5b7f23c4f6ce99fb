-- Removes data entries (keys from KEYS_AT) of live session SID, keeping its data size and number of
-- data keys. Returns how many existed, or -1 when the session is not live.
if not unexpired(SID, now_ms()) then return -1 end
local kept = redis.call('HMGET', SESSION, F_DATA_SIZE, F_DATA_KEYS)
local size, keys = tonumber(kept[1] or '0'), tonumber(kept[2] or '0')
local removed = 0
for i = KEYS_AT, KEYS_END do
  local f = DATA_PREFIX .. ARGV[i]
  local old = redis.call('HSTRLEN', SESSION, f)
  if old > 0 then
    size = size - old - #ARGV[i]
    redis.call('HDEL', SESSION, f)
    removed = removed + 1
  end
end
-- never below 0: a session's data written before its keys were counted
redis.call('HSET', SESSION, F_DATA_SIZE, size, F_DATA_KEYS, math.max(0, keys - removed))
return removed
