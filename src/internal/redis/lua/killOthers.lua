-- Removes up to LIMIT other sessions of live session SID's user. Returns {live ones removed, 1
-- while the user may have more}, or {-1, 0} when SID itself is not live.
local now = now_ms()
local uid = redis.call('HGET', SESSION, F_USER)
if not uid or not unexpired(SID, now) then return {-1, 0} end
local uk = P .. USER_KEY .. uid
local others = {}
for _, id in ipairs(redis.call('ZRANGE', uk, 0, LIMIT)) do -- one more than LIMIT: SID may be among them
  if id ~= SID and #others < LIMIT then others[#others + 1] = id end
end
local removed = 0
local _, whole = each(others, function(sid)
  if drop(sid, now, uid, nil) then removed = removed + 1 end
end)
if not whole or redis.call('ZCARD', uk) > 1 then return {removed, 1} end
return {removed, 0}
