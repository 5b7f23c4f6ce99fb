-- Removes up to LIMIT other sessions of live session SID's user. Returns {live ones removed, 1
-- while the user may have more}, or {-1, 0} when SID itself is not live.
local now = now_ms()
local uid = redis.call('HGET', SESSION, F_USER)
if not uid or not unexpired(SID, now) then return {-1, 0} end
local uk = P .. USER_KEY .. uid
local ids = redis.call('ZRANGE', uk, 0, LIMIT) -- one more than LIMIT: SID may be among them
local removed, done = 0, 0
for i = 1, #ids do
  if ids[i] ~= SID and done < LIMIT then
    done = done + 1
    if drop(ids[i], now, uid, nil) then removed = removed + 1 end
    if i < #ids and done < LIMIT and busy() then return {removed, 1} end
  end
end
if redis.call('ZCARD', uk) > 1 then return {removed, 1} end
return {removed, 0}
