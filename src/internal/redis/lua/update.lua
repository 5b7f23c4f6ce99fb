-- Writes additional fields of live session SID: ARGV holds NAMES field names to read back from
-- FIELDS_AT, then the name, value pairs to write. Returns the session (see load) followed by now, in
-- one table, or nil when it is not live.
local now = now_ms()
if not unexpired(SID, now) then return nil end
local last = FIELDS_AT + NAMES - 1 -- the names to read end here, the pairs to write follow
for i = last + 1, FIELDS_END, 2 do redis.call('HSET', SESSION, FIELD_PREFIX .. ARGV[i], ARGV[i + 1]) end
local s = load(SID, now, false, FIELDS_AT, last, nil, SESSION)
s[#s + 1] = now
return s
