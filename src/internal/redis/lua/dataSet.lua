-- Writes data entries (key, value pairs from ENTRIES_AT) of the live session at key SESSION,
-- keeping its data size (bytes of keys and values, kept in F_DATA_SIZE) within MAX and its number
-- of data keys (kept in F_DATA_KEYS) within MAX_KEYS (0: no limit). Returns the number of entries
-- written; minus the size it would have when MAX would be passed, or {keys} it would hold when
-- MAX_KEYS would (nothing written); or nil when the session is not live. The values it replaces are
-- read with the session's fields, in one HMGET (each at most the manager's value limit).
if ENTRIES_END == ENTRIES_AT + 1 then
  -- one entry, the common call: the same steps without building tables (a third of its cost)
  local key, value = DATA_PREFIX .. ARGV[ENTRIES_AT], ARGV[ENTRIES_END]
  local v = redis.call('HMGET', SESSION, F_USER, F_LAST, F_TTL, F_DEADLINE, F_DATA_SIZE, F_DATA_KEYS, key)
  if not live(v[1], v[2], v[3], v[4]) then return nil end
  local size, keys = tonumber(v[5] or '0'), tonumber(v[6] or '0')
  if v[7] and #v[7] == #value and (MAX == 0 or size <= MAX) and (MAX_KEYS == 0 or keys <= MAX_KEYS) then
    -- the size and keys stay: the value alone, a tenth less work for Redis than with the size
    -- (which it would turn from a number into text)
    redis.call('HSET', SESSION, key, value)
    return 1
  end
  size = size + #value
  if v[7] then size = size - #v[7] else size, keys = size + #ARGV[ENTRIES_AT], keys + 1 end
  if MAX > 0 and size > MAX then return -size end
  if MAX_KEYS > 0 and keys > MAX_KEYS then return {keys} end
  if v[7] then
    redis.call('HSET', SESSION, key, value, F_DATA_SIZE, size) -- a key replaced: the count stays
  else
    redis.call('HSET', SESSION, key, value, F_DATA_SIZE, size, F_DATA_KEYS, keys)
  end
  return 1
end
local read = {F_USER, F_LAST, F_TTL, F_DEADLINE, F_DATA_SIZE, F_DATA_KEYS}
for i = ENTRIES_AT, ENTRIES_END, 2 do read[#read + 1] = DATA_PREFIX .. ARGV[i] end
local v = redis.call('HMGET', SESSION, unpack(read))
if not live(v[1], v[2], v[3], v[4]) then return nil end
local size, keys = tonumber(v[5] or '0'), tonumber(v[6] or '0')
local write = {'HSET', SESSION}
for i = ENTRIES_AT, ENTRIES_END, 2 do
  local old = v[7 + (i - ENTRIES_AT) / 2]
  if old then size = size - #old - #ARGV[i] else keys = keys + 1 end
  size = size + #ARGV[i] + #ARGV[i + 1]
  write[#write + 1] = read[7 + (i - ENTRIES_AT) / 2]
  write[#write + 1] = ARGV[i + 1]
end
if MAX > 0 and size > MAX then return -size end
if MAX_KEYS > 0 and keys > MAX_KEYS then return {keys} end
write[#write + 1] = F_DATA_SIZE
write[#write + 1] = size
write[#write + 1] = F_DATA_KEYS
write[#write + 1] = keys
redis.call(unpack(write))
return (#write - 6) / 2
