-- The PTTL of key before a write that must keep it alive n ms, or nil when this script call has
-- already kept it alive that long (keep: kept_for), and so keep leaves it.
local function ttl_before(key, n)
  local k = kept_for and kept_for[key]
  if k and n > 0 and k >= n then return nil end
  return redis.call('PTTL', key)
end
-- Puts a session in its indexes as accessed at now, expiring at exp. was tells where it was
-- (nil: new; true: regular, in R; false: in A and X). With full, also makes sure every index key
-- it writes lives at least its need plus half the grace (keep; reads first, as in remove).
-- Without it the keys' native TTLs are known to be long enough: a session's touches take the full
-- path on its first touch in each half grace period (see load), and TTLs are only ever extended.
-- A session changing between regular and not always takes the full path.
local function index(sid, uid, now, exp, full, was)
  local uk, at = P .. USER_KEY .. uid, text(now)
  local reg = regular(now, exp)
  if not full then
    -- the user key first: on a Cluster slot being migrated it is the one that may fail, before any write
    redis.call('ZADD', uk, at, sid)
    if reg then
      redis.call('ZADD', R, at, sid)
    else
      redis.call('ZADD', A, at, sid)
      if exp > 0 then redis.call('ZADD', X, text(exp), sid) end
    end
    return
  end
  local n = need(now, exp)
  -- the TTLs of the keys it writes (the user's key first: see above), and no other
  local bu = ttl_before(uk, n)
  if reg then
    local br = ttl_before(R, n)
    redis.call('ZADD', R, at, sid)
    -- every session in R expires within the regular ttl of its last access: within n of now
    keep(R, br, n, true)
    if was == false then
      redis.call('ZREM', A, sid)
      redis.call('ZREM', X, sid)
    end
  else
    local ba, bx = ttl_before(A, n), ttl_before(X, n)
    other(sid, now, exp, ba, bx, n)
    if was == true then redis.call('ZREM', R, sid) end
  end
  redis.call('ZADD', uk, at, sid)
  keep(uk, bu, n)
end
