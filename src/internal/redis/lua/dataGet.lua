-- Reads data entries (keys from KEYS_AT) of live session SID, without touching it. Returns
-- {values} with false for keys never set, or nil when the session is not live.
if not unexpired(SID, now_ms()) then return nil end
if KEYS_END < KEYS_AT then return {{}} end
local fields = {}
for i = KEYS_AT, KEYS_END do fields[#fields + 1] = DATA_PREFIX .. ARGV[i] end
return {redis.call('HMGET', SESSION, unpack(fields))}
