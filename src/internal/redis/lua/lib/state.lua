-- A session's user id, then its times (see times), or nil when its hash is absent.
local function state(sid)
  local v = redis.call('HMGET', P .. SESSION_KEY .. sid, F_USER, F_LAST, F_TTL, F_DEADLINE)
  if not v[1] then return nil end
  return v[1], times(v[2], v[3], v[4])
end
