-- Moves a live session found in R whose expiry does not follow its last access (a namespace
-- whose regular ttl was recorded again) to A and X.
local function irregular(sid, now)
  local _, last, _, _, exp = state(sid)
  local n = need(now, exp)
  local ba, bx = redis.call('PTTL', A), redis.call('PTTL', X)
  redis.call('ZREM', R, sid)
  other(sid, last, exp, ba, bx, n)
end
