-- Removes up to LIMIT sessions of user UID. Returns {live sessions removed, 1 while there may be
-- more}: a batch shorter than LIMIT was the last, so a user with fewer sessions takes one call.
local now = now_ms()
local ids = redis.call('ZRANGE', USER, 0, LIMIT - 1)
local live = 0
local _, whole = each(ids, function(sid)
  if drop(sid, now, UID, nil) then live = live + 1 end
end)
if not whole then return {live, 1} end
if #ids < LIMIT then
  -- none left (remove drops the user from U with their last session; this also clears a stale entry)
  redis.call('ZREM', U, UID)
  return {live, 0}
end
return {live, 1}
