-- Removes every other session of live session SID's user. Returns how many live ones it removed,
-- or -1 when SID itself is not live.
local now = now_ms()
local uid = redis.call('HGET', SESSION, F_USER)
if not uid or not unexpired(SID, now) then return -1 end
local ids = redis.call('ZRANGE', P .. USER_KEY .. uid, 0, -1)
local removed = 0
for i = 1, #ids do
  if ids[i] ~= SID then
    if unexpired(ids[i], now) then removed = removed + 1 end
    remove(ids[i], uid)
  end
end
return removed
