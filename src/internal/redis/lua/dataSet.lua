-- Writes data entries (key, value pairs from ENTRIES_AT) of live session SID, keeping its data
-- size (bytes of keys and values, kept in F_DATA_SIZE) within MAX (0: no limit). Returns
-- {1, written}, {0, size} when the limit would be passed (nothing written), or nil when the
-- session is not live.
if not unexpired(SID, now_ms()) then return nil end
local size = tonumber(redis.call('HGET', SESSION, F_DATA_SIZE) or '0')
local fields = {}
for i = ENTRIES_AT, ENTRIES_END, 2 do
  local f = DATA_PREFIX .. ARGV[i]
  local old = redis.call('HSTRLEN', SESSION, f)
  if old > 0 then size = size - old - #ARGV[i] end
  size = size + #ARGV[i] + #ARGV[i + 1]
  fields[#fields + 1] = f
  fields[#fields + 1] = ARGV[i + 1]
end
if MAX > 0 and size > MAX then return {0, size} end
for i = 1, #fields, 2 do redis.call('HSET', SESSION, fields[i], fields[i + 1]) end
redis.call('HSET', SESSION, F_DATA_SIZE, size)
return {1, #fields / 2}
