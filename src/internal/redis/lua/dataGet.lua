-- Reads data entries (keys from KEYS_AT) of the live session at key SESSION, without touching
-- it. Returns the HMGET's own table (the fields read to check that it is live, then the values,
-- false for keys never set: no table made for the reply), or nil when the session is not live.
local fields = {F_USER, F_LAST, F_TTL, F_DEADLINE}
for i = KEYS_AT, KEYS_END do fields[#fields + 1] = DATA_PREFIX .. ARGV[i] end
local v = redis.call('HMGET', SESSION, unpack(fields))
if not live(v[1], v[2], v[3], v[4]) then return nil end
return v
