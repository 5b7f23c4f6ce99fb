-- Writes data entries (key, value pairs from ENTRIES_AT) of the live session at key SESSION,
-- keeping its data size (bytes of keys and values, kept in F_DATA_SIZE) within MAX (0: no limit).
-- Returns the number of entries written, minus the size it would have when the limit would be
-- passed (nothing written), or nil when the session is not live. The values it replaces are read
-- with the session's fields, in one HMGET (each at most the manager's value limit).
if ENTRIES_END == ENTRIES_AT + 1 then
  -- one entry, the common call: the same steps without building tables (a third of its cost)
  local key, value = DATA_PREFIX .. ARGV[ENTRIES_AT], ARGV[ENTRIES_END]
  local v = redis.call('HMGET', SESSION, F_USER, F_LAST, F_TTL, F_DEADLINE, F_DATA_SIZE, key)
  if not live(v[1], v[2], v[3], v[4]) then return nil end
  local size = tonumber(v[5] or '0')
  if v[6] and #v[6] == #value and (MAX == 0 or size <= MAX) then
    -- the size stays: the value alone, a tenth less work for Redis than with the size (which it
    -- would turn from a number into text)
    redis.call('HSET', SESSION, key, value)
    return 1
  end
  size = size + #value
  if v[6] then size = size - #v[6] else size = size + #ARGV[ENTRIES_AT] end
  if MAX > 0 and size > MAX then return -size end
  redis.call('HSET', SESSION, key, value, F_DATA_SIZE, size)
  return 1
end
local read = {F_USER, F_LAST, F_TTL, F_DEADLINE, F_DATA_SIZE}
for i = ENTRIES_AT, ENTRIES_END, 2 do read[#read + 1] = DATA_PREFIX .. ARGV[i] end
local v = redis.call('HMGET', SESSION, unpack(read))
if not live(v[1], v[2], v[3], v[4]) then return nil end
local size = tonumber(v[5] or '0')
local write = {'HSET', SESSION}
for i = ENTRIES_AT, ENTRIES_END, 2 do
  local old = v[6 + (i - ENTRIES_AT) / 2]
  if old then size = size - #old - #ARGV[i] end
  size = size + #ARGV[i] + #ARGV[i + 1]
  write[#write + 1] = read[6 + (i - ENTRIES_AT) / 2]
  write[#write + 1] = ARGV[i + 1]
end
if MAX > 0 and size > MAX then return -size end
write[#write + 1] = F_DATA_SIZE
write[#write + 1] = size
redis.call(unpack(write))
return (#write - 4) / 2
