-- A live session as {user, createdAt, ttl, deadline, field..., lastAccess, expires}, or nil when
-- it is absent or expired: the HMGET of its hash (strings; deadline false when there is none), the
-- values of the additional fields ARGV[first..last] names (false where the hash has none), then
-- last access and expiry as numbers (integer replies, which a client reads faster than strings).
-- The reply is the HMGET's own table: its last value (the stored last access) gives way to the
-- two numbers. Reads only those fields, whatever data the session holds. With touch, its last
-- access becomes now (the values show the new ones); an expired one is removed. key: the session's
-- key when the caller has it (in KEYS), else it is made from sid.
local function load(sid, now, touch, first, last, after, key)
  local sk = key or P .. SESSION_KEY .. sid
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
    if touch then remove(sid, uid, nil, true) end
    return nil
  end
  -- a touch is skipped while the last access is more recent than after ms (nil: always touch)
  if touch and now - at >= (after or 0) then
    local nexp = expiry(now, ttl, deadline)
    local n = need(now, nexp)
    local was = regular(at, exp)
    -- full (the keys' TTLs refreshed, see index) when the session changes index, and with native
    -- TTLs on, on its first touch in each half grace period of the store's clock: every key it was
    -- written to then was kept alive need + GRACE / 2 (keep), so until the next period they
    -- outlive it.
    -- Without native TTLs (or a grace of 0), whenever its hash still has a TTL (to remove it).
    local b = nil
    local full = was ~= regular(now, nexp)
    if GRACE > 0 then
      full = full or math.floor(2 * now / GRACE) ~= math.floor(2 * at / GRACE)
    else
      b = redis.call('PTTL', sk)
      full = full or (b >= 0 and (GRACE < 0 or b < n))
    end
    index(sid, uid, now, nexp, full, was)
    -- the hash last: the index writes (the user's key first) are where a Cluster slot being
    -- migrated may stop the script, before anything of this session has changed
    redis.call('HSET', sk, F_LAST, text(now))
    if full then keep(sk, b or redis.call('PTTL', sk), n, true) end
    at, exp = now, nexp
  end
  v[#v] = at
  v[#v + 1] = exp
  return v
end
