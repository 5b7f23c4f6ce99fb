-- A session's last access, ttl, lifetime deadline and expiry, from its hash's fields as read (a, t,
-- l: strings, false when absent). A session without a last access counts as accessed at 0: expired
-- (and cleaned up) if it has a ttl.
local function times(a, t, l)
  local last, ttl, deadline = tonumber(a or 0), tonumber(t or 0), tonumber(l or 0)
  return last, ttl, deadline, expiry(last, ttl, deadline)
end
