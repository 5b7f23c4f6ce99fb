-- Stores a new session SID of user UID, indexed as accessed now. With LIMIT > 0 the user keeps at
-- most LIMIT live sessions: the least recently accessed make room, or (REFUSE) nothing is created.
-- FIELDS_AT..: additional fields as name, value pairs.
-- Returns {1, now, expires, deadline}, or {0} when refused.
if redis.call('EXISTS', SESSION) == 1 then
  return redis.error_reply('ERR effect-redisess: session id already exists')
end
local now = now_ms()
if LIMIT > 0 then
  local ids = redis.call('ZRANGE', P .. USER_KEY .. UID, 0, -1)
  local live = {}
  for i = 1, #ids do
    if unexpired(ids[i], now) then live[#live + 1] = ids[i] else remove(ids[i], UID) end
  end
  local over = #live - LIMIT + 1
  if over > 0 then
    if REFUSE then return {0} end
    for i = 1, over do remove(live[i], UID) end
  end
end
local deadline = 0
if LIFETIME > 0 then deadline = now + LIFETIME end
local exp = expiry(now, TTL, deadline)
index(SID, UID, now, exp, true)
redis.call('HSET', SESSION, F_USER, UID, F_CREATED, now, F_TTL, TTL)
if deadline > 0 then redis.call('HSET', SESSION, F_DEADLINE, deadline) end
for i = FIELDS_AT, #ARGV, 2 do redis.call('HSET', SESSION, FIELD_PREFIX .. ARGV[i], ARGV[i + 1]) end
keep(SESSION, -2, need(now, exp))
return {1, now, exp, deadline}
