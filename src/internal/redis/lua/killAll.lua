-- Removes up to LIMIT sessions of the shard, then (once none are left) up to LIMIT leftover user
-- indexes. Returns {live sessions removed, 1 while there may be more}.
local ids, where = redis.call('ZRANGE', R, 0, LIMIT - 1), 'R'
if #ids == 0 then ids, where = redis.call('ZRANGE', A, 0, LIMIT - 1), 'A' end
if #ids > 0 then
  local now = now_ms()
  local live = 0
  each(ids, function(sid)
    if drop(sid, now, nil, where) then live = live + 1 end
  end)
  return {live, 1}
end
local users = redis.call('ZRANGE', U, 0, LIMIT - 1)
for i = 1, #users do
  redis.call('DEL', P .. USER_KEY .. users[i])
  redis.call('ZREM', U, users[i])
end
redis.call('DEL', X)
if #users > 0 then return {0, 1} end
return {0, 0}
