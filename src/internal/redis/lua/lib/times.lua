-- A session's last access (its score in its user's sorted set, the one place it is kept), ttl,
-- lifetime deadline and expiry, from its hash's ttl and deadline fields (t, l as read). A session
-- missing from its user's set (which the scripts never leave) counts as accessed at 0: expired
-- (and cleaned up) if it has a ttl.
local function times(sid, uid, t, l)
  local last = tonumber(redis.call('ZSCORE', P .. USER_KEY .. uid, sid) or 0)
  local ttl, deadline = tonumber(t or 0), tonumber(l or 0)
  return last, ttl, deadline, expiry(last, ttl, deadline)
end
