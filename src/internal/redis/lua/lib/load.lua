-- A live session as {user, createdAt, ttl, deadline, field..., lastAccess, expires}, or nil when
-- it is absent or expired: the HMGET of its hash (strings; deadline false when there is none), the
-- values of the additional fields ARGV[first..last] names (false where the hash has none), then
-- last access and expiry as numbers (integer replies, which a client reads faster than strings).
-- The reply is the HMGET's own table: its last value (the stored last access) gives way to the
-- two numbers. Reads only those fields, whatever data the session holds. With touch, its last
-- access becomes now (the values show the new ones); an expired one is removed.
local function load(sid, now, touch, first, last, after)
  local sk = P .. SESSION_KEY .. sid
  local v
  if first > last then
    v = redis.call('HMGET', sk, F_USER, F_CREATED, F_TTL, F_DEADLINE, F_LAST)
  else
    local names = {F_USER, F_CREATED, F_TTL, F_DEADLINE}
    for i = first, last do names[#names + 1] = FIELD_PREFIX .. ARGV[i] end
    names[#names + 1] = F_LAST
    v = redis.call('HMGET', sk, unpack(names))
  end
  local uid = v[1]
  if not uid then return nil end
  local at, ttl, deadline, exp = times(v[#v], v[3], v[4])
  if exp > 0 and exp <= now then
    if touch then remove(sid, uid) end
    return nil
  end
  -- a touch is skipped while the last access is more recent than after ms (nil: always touch)
  if touch and now - at >= (after or 0) then
    local nexp = expiry(now, ttl, deadline)
    local n = need(now, nexp)
    local b = redis.call('PTTL', sk)
    local was = regular(at, exp)
    -- full when the hash's TTL runs low or must go (native TTLs off), or the session changes index
    local full = (b >= 0 and (GRACE < 0 or b < n)) or was ~= regular(now, nexp)
    index(sid, uid, now, nexp, full, was)
    -- the hash last: the index writes (the user's key first) are where a Cluster slot being
    -- migrated may stop the script, before anything of this session has changed
    redis.call('HSET', sk, F_LAST, now)
    if full then keep(sk, b, n) end
    at, exp = now, nexp
  end
  v[#v] = at
  v[#v + 1] = exp
  return v
end
