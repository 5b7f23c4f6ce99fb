-- True when a session whose hash read gave user, last access, ttl and deadline (false where
-- absent) exists and has not expired by now (the clock is read only for one that exists).
local function live(user, a, t, l)
  if not user then return false end
  local _, _, _, exp = times(a, t, l)
  return exp == 0 or exp > now_ms()
end
