-- Sweeps up to LIMIT expired sessions first and returns -1 when more may remain (call again);
-- then the number of sessions (of the user whose index is USER, when given) accessed within the
-- last WINDOW ms (0: all).
local now = now_ms()
local _, more = sweep(now, LIMIT)
if more then return -1 end
local function within(key)
  if WINDOW == 0 then return redis.call('ZCARD', key) end
  return redis.call('ZCOUNT', key, now - WINDOW, '+inf')
end
if USER then return within(USER) end
return within(R) + within(A)
