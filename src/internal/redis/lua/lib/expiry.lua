-- When a session accessed at now expires: after its idle ttl or at its lifetime deadline,
-- whichever comes first (0: never).
local function expiry(now, ttl, deadline)
  local exp = 0
  if ttl > 0 then exp = now + ttl end
  if deadline > 0 and (exp == 0 or deadline < exp) then exp = deadline end
  return exp
end
