-- Removes up to LIMIT sessions of the shard. Returns {live sessions removed, 1 while there may be
-- more}. A user's set goes with their last session (a sorted set emptied is deleted).
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
redis.call('DEL', X)
return {0, 0}
