-- Removes data entries (keys from KEYS_AT) of live session SID. Returns how many existed, or -1
-- when the session is not live.
if not unexpired(SID, now_ms()) then return -1 end
local size = tonumber(redis.call('HGET', SESSION, F_DATA_SIZE) or '0')
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
redis.call('HSET', SESSION, F_DATA_SIZE, size)
return removed
