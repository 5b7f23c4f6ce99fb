-- Removes up to LIMIT sessions of user UID. Returns {live sessions removed, 1 while there may be
-- more}: a batch shorter than LIMIT was the last, so a user with fewer sessions takes one call.
local now = now_ms()
local ids = redis.call('ZRANGE', USER, 0, LIMIT - 1)
local live = 0
local _, whole = each(ids, function(sid)
  if drop(sid, now, UID, nil) then live = live + 1 end
end)
if not whole then return {live, 1} end
if #ids < LIMIT then return {live, 0} end
return {live, 1}
