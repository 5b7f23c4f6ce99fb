-- The plain reads of one shard made together (`hashReads.ts`), as one call. ARGV: the number of
-- field lists, each list (its length, then its fields; -1: the whole hash), then for each key the
-- number of its list. Each key is read by HMGET of its list's fields, or HGETALL; then the server's
-- clock is read. A script runs at one moment, so every read ran at that time. A read that fails (a
-- key of another type) answers its error in its place and stops no other.
local lists, a = {}, 2
for l = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[a])
  if n < 0 then
    lists[l] = false
    a = a + 1
  else
    lists[l] = {unpack(ARGV, a + 1, a + n)}
    a = a + n + 1
  end
end
local replies = {}
for i = 1, #KEYS do
  local fields = lists[tonumber(ARGV[a])]
  a = a + 1
  if fields then
    replies[i] = redis.pcall('HMGET', KEYS[i], unpack(fields))
  else
    replies[i] = redis.pcall('HGETALL', KEYS[i])
  end
end
replies[#KEYS + 1] = redis.call('TIME')
return replies
