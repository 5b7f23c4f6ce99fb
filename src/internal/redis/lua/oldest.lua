-- Sweeps up to LIMIT expired sessions first ({-1} when more may remain: call again), then returns
-- {0} when user UID has no live session, else {1, now, sid, session} (see load, with the fields
-- FIELD_NAMES_AT.. names) of the least recently accessed one, touched when TOUCH.
local now = now_ms()
local _, more = sweep(now, LIMIT)
if more then return {-1} end
while true do
  local ids = redis.call('ZRANGE', USER, 0, 0)
  if #ids == 0 then return {0} end
  local s = load(ids[1], now, TOUCH, FIELD_NAMES_AT, FIELD_NAMES_END)
  if s then return {1, now, ids[1], s} end
  remove(ids[1], UID)
end
