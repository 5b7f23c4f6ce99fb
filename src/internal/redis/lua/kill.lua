-- Removes session SID and its index entries. When SID was rotated away recently, its forward
-- record (FORWARD) names the id it moved to, which is killed too, and so on along the chain (at
-- most 100 rotations). Returns 1 when a live session was removed, else 0.
local now = now_ms()
local alive, sid, fk = 0, SID, FORWARD
for _ = 1, 100 do
  if unexpired(sid, now) then alive = 1 end
  remove(sid, nil)
  local moved = redis.call('GET', fk)
  if not moved then break end
  redis.call('DEL', fk)
  sid, fk = moved, P .. FORWARD_KEY .. moved
end
return alive
