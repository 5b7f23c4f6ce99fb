-- Removes session SID and its index entries. When SID was rotated away recently, its forward
-- record (FORWARD: "<reach> <new id>", reach in unix ms) names the id it moved to, which is killed
-- too while the record holds, and so on along the chain (at most 100 rotations).
-- Returns 1 when a live session was removed, else 0.
local now = now_ms()
local alive, sid, fk = 0, SID, FORWARD
for _ = 1, 100 do
  if drop(sid, now, nil, nil) then alive = 1 end
  local record = redis.call('GET', fk)
  if not record then break end
  redis.call('DEL', fk)
  local reach, moved = string.match(record, '^(%d+) (.+)$')
  if not reach or tonumber(reach) <= now then break end
  sid, fk = moved, P .. FORWARD_KEY .. moved
end
return alive
