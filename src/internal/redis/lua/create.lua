-- Stores a new session SID of user UID, indexed as accessed now. With LIMIT > 0 the user keeps at
-- most LIMIT live sessions: the least recently accessed make room, or (REFUSE) nothing is created.
-- That work is bounded: expired sessions are swept first and at most BATCH sessions are removed
-- per call; {-1} says more remain (nothing created yet: call again).
-- FIELDS_AT..: additional fields as name, value pairs.
-- Returns {1, now, expires, deadline}, {0} when refused, or {-1}.
if redis.call('EXISTS', SESSION) == 1 then
  return redis.error_reply('ERR effect-redisess: session id already exists')
end
local now = now_ms()
if LIMIT > 0 then
  -- it may remove sessions, and an index it empties is gone: the keys this script call has kept
  -- alive are tracked no longer (keep)
  kept_for = nil
  -- once no expired session is left in the shard, the user's index holds only live sessions
  local _, more = sweep(now, BATCH)
  if more then return {-1} end
  local over = redis.call('ZCARD', USER) - LIMIT + 1
  if over > 0 then
    if REFUSE then return {0} end
    local ids = redis.call('ZRANGE', USER, 0, math.min(over, BATCH) - 1)
    local _, whole = each(ids, function(sid) remove(sid, UID) end)
    if not whole or over > BATCH then return {-1} end
  end
elseif not kept_for then
  -- the creates of a script call that remove nothing track the index keys they keep alive
  kept_for = {}
end
local deadline = 0
if LIFETIME > 0 then deadline = now + LIFETIME end
local exp = expiry(now, TTL, deadline)
index(SID, UID, now, exp, true)
redis.call('HSET', SESSION, F_USER, UID, F_CREATED, text(now), F_LAST, text(now), F_TTL, text(TTL))
if deadline > 0 then redis.call('HSET', SESSION, F_DEADLINE, deadline) end
for i = FIELDS_AT, FIELDS_END, 2 do redis.call('HSET', SESSION, FIELD_PREFIX .. ARGV[i], ARGV[i + 1]) end
keep(SESSION, -2, need(now, exp))
return {1, now, exp, deadline}
