/**
 * The Lua scripts of the Redis store. Each operation is one script, so it is atomic and costs one
 * round trip. All scripts share a prelude; their keys are always `KEYS[1..4]` = activity, expiries,
 * users, regular (then the session or user key), all under one hash tag, and `ARGV[1..4]` = key
 * prefix, clock offset (ms, 0 outside tests), the native-TTL grace (ms; -1: keys get no native TTL)
 * and the namespace's regular ttl (ms, 0: none).
 *
 * A session's hash holds what only it knows: its user (`u`), creation time (`c`), idle ttl (`t`),
 * lifetime deadline (`l`, only when it has one), additional fields and data. Its last access is
 * its score in its user's sorted set, which every touch writes anyway, and its expiry follows from
 * last access, ttl and deadline; the scripts return both with the hash (`a`, `x`), so readers see
 * every field. Storing them too would cost about 32 bytes per session and a hash write per touch.
 * A hash written by an earlier version may still hold `a` and `x`: they are ignored.
 *
 * A session is regular when it expires exactly the namespace's regular ttl after its last access
 * (`x == a + REG`): the common case, a session on the manager's default ttl. A regular session is
 * indexed by its last access in `R` only, since its expiry follows from it; every other session is
 * in `A` by last access and, when it expires, in `X` by expiry. The wipe sweeps `X` by expiry and
 * `R` by last access (older than now - REG). That saves one sorted-set entry (about 120 bytes) and
 * one ZADD per touch for most sessions. A session moves between the two when its expiry stops or
 * starts following its last access (a lifetime deadline drawing near).
 *
 * Times are unix milliseconds from the Redis server's clock (`TIME`), so every app instance agrees.
 */

const prelude = `
local P = ARGV[1]
local A, X, U, R = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local GRACE = tonumber(ARGV[3])
local REG = tonumber(ARGV[4])

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
end

local function str(n)
  return string.format('%.0f', n)
end

-- Keeps a key's native TTL at least need ms (need 0: the key must not expire). With native TTLs
-- off (GRACE < 0), removes any TTL the key has (one set when they were on).
-- before is the key's PTTL read before the write (-2: the write created the key).
local function keep(key, before, need)
  if need == 0 or GRACE < 0 then
    if before >= 0 then redis.call('PERSIST', key) end
  elseif before == -2 or (before >= 0 and before < need) then
    redis.call('PEXPIRE', key, need + GRACE)
  end
end

-- True when a session accessed at a and expiring at exp is regular (indexed in R only).
local function regular(a, exp)
  return REG > 0 and exp == a + REG
end

-- Removes a session and every index entry of it. uid is a hint for when the hash is gone.
-- Reads come before writes: on a Cluster slot being migrated, a key already moved fails the
-- read, so the script stops before it has changed anything of this session.
local function remove(sid, uid)
  local sk = P .. 's:' .. sid
  uid = redis.call('HGET', sk, 'u') or uid
  local uk = nil
  if uid then
    uk = P .. 'u:' .. uid
    redis.call('EXISTS', uk)
  end
  redis.call('UNLINK', sk) -- a session with much data is freed off the main thread
  redis.call('ZREM', R, sid)
  redis.call('ZREM', A, sid)
  redis.call('ZREM', X, sid)
  if uk then
    redis.call('ZREM', uk, sid)
    local top = redis.call('ZREVRANGE', uk, 0, 0, 'WITHSCORES')
    if #top == 0 then redis.call('ZREM', U, uid) else redis.call('ZADD', U, top[2], uid) end
  end
end

-- When a session accessed at now expires: after its idle ttl or at its lifetime deadline,
-- whichever comes first (0: never).
local function expiry(now, ttl, deadline)
  local exp = 0
  if ttl > 0 then exp = now + ttl end
  if deadline > 0 and (exp == 0 or deadline < exp) then exp = deadline end
  return exp
end

-- How long the keys of a session expiring at exp must live (0: for ever).
local function need(now, exp)
  if exp > 0 then return exp - now end
  return 0
end

-- Indexes a session that is not regular: in A by last access, and in X by expiry when it
-- expires, keeping both keys alive for n ms (ba, bx: their PTTLs read before).
local function other(sid, last, exp, ba, bx, n)
  redis.call('ZADD', A, last, sid)
  keep(A, ba, n)
  if exp > 0 then
    redis.call('ZADD', X, exp, sid)
    keep(X, bx, n)
  end
end

-- Puts a session in its indexes as accessed at now, expiring at exp. was tells where it was
-- (nil: new; true: regular, in R; false: in A and X). With full, also makes sure every index key
-- it writes lives at least as long as the session (reads first, as in remove). Without it the
-- keys' native TTLs are known to be long enough: a touch refreshes them only when the session
-- hash's own TTL runs low (once per grace period), since they were refreshed together and only
-- ever extended. A session changing between regular and not always takes the full path.
local function index(sid, uid, now, exp, full, was)
  local uk = P .. 'u:' .. uid
  local reg = regular(now, exp)
  if not full then
    -- the user key first: on a Cluster slot being migrated it is the one that may fail, before any write
    redis.call('ZADD', uk, now, sid)
    if reg then
      redis.call('ZADD', R, now, sid)
    else
      redis.call('ZADD', A, now, sid)
      if exp > 0 then redis.call('ZADD', X, exp, sid) end
    end
    redis.call('ZADD', U, now, uid)
    return
  end
  local n = need(now, exp)
  local br, ba, bx, bu, bU = redis.call('PTTL', R), redis.call('PTTL', A), redis.call('PTTL', X),
    redis.call('PTTL', uk), redis.call('PTTL', U)
  if reg then
    redis.call('ZADD', R, now, sid)
    keep(R, br, n)
    if was == false then
      redis.call('ZREM', A, sid)
      redis.call('ZREM', X, sid)
    end
  else
    other(sid, now, exp, ba, bx, n)
    if was == true then redis.call('ZREM', R, sid) end
  end
  redis.call('ZADD', uk, now, sid)
  keep(uk, bu, n)
  redis.call('ZADD', U, now, uid)
  keep(U, bU, n)
end

-- A session's last access (its score in its user's sorted set), ttl, lifetime deadline and
-- expiry, from its hash's u, t and l. A session missing from its user's set (which the scripts
-- never leave) counts as accessed at 0: expired (and cleaned up) if it has a ttl.
local function times(sid, uid, t, l)
  local last = tonumber(redis.call('ZSCORE', P .. 'u:' .. uid, sid) or 0)
  local ttl, deadline = tonumber(t or 0), tonumber(l or 0)
  return last, ttl, deadline, expiry(last, ttl, deadline)
end

-- A session's user id, then its times (see times), or nil when its hash is absent.
local function state(sid)
  local v = redis.call('HMGET', P .. 's:' .. sid, 'u', 't', 'l')
  if not v[1] then return nil end
  return v[1], times(sid, v[1], v[2], v[3])
end

-- True when the session sid (of this shard) exists and has not expired at now.
local function unexpired(sid, now)
  local uid, _, _, _, exp = state(sid)
  return uid ~= nil and (exp == 0 or exp > now)
end

-- True when the session whose hash is at key sk exists and has not expired at now.
local function live(sk, now)
  return unexpired(string.sub(sk, #P + 3), now)
end

-- The session's fields, or nil when it is absent or expired: the values of u, c, t, l, of the
-- additional fields ARGV[first..last] names (false where the hash has none), then a and x (as
-- numbers: integer replies, which a client reads faster than strings). Reads
-- only those fields, whatever data the session holds. With touch, its last access becomes now (the
-- values show the new ones); an expired one is removed.
local function load(sid, now, touch, first, last)
  local sk = P .. 's:' .. sid
  local v
  if first > last then
    v = redis.call('HMGET', sk, 'u', 'c', 't', 'l')
  else
    local names = {'u', 'c', 't', 'l'}
    for i = first, last do names[#names + 1] = 'f:' .. ARGV[i] end
    v = redis.call('HMGET', sk, unpack(names))
  end
  local uid = v[1]
  if not uid then return nil end
  local at, ttl, deadline, exp = times(sid, uid, v[3], v[4])
  if exp > 0 and exp <= now then
    if touch then remove(sid, uid) end
    return nil
  end
  if touch then
    local nexp = expiry(now, ttl, deadline)
    local n = need(now, nexp)
    local b = redis.call('PTTL', sk)
    local was = regular(at, exp)
    -- full when the hash's TTL runs low or must go (native TTLs off), or the session changes index
    local full = (b >= 0 and (GRACE < 0 or b < n)) or was ~= regular(now, nexp)
    index(sid, uid, now, nexp, full, was)
    if full then keep(sk, b, n) end
    at, exp = now, nexp
  end
  v[#v + 1] = at
  v[#v + 1] = exp
  return v
end

-- Moves a live session found in R whose expiry does not follow its last access (a namespace
-- whose regular ttl was recorded again, or data written by another layout) to A and X.
local function irregular(sid, now)
  local _, last, _, _, exp = state(sid)
  local n = need(now, exp)
  local ba, bx = redis.call('PTTL', A), redis.call('PTTL', X)
  redis.call('ZREM', R, sid)
  other(sid, last, exp, ba, bx, n)
end

-- Removes up to limit expired sessions; returns how many it removed (or moved out of R).
local function sweep(now, limit)
  local ids = redis.call('ZRANGEBYSCORE', X, '-inf', now, 'LIMIT', 0, limit)
  for i = 1, #ids do remove(ids[i], nil) end
  local done = #ids
  if REG > 0 and done < limit then
    ids = redis.call('ZRANGEBYSCORE', R, '-inf', now - REG, 'LIMIT', 0, limit - done)
    for i = 1, #ids do
      if unexpired(ids[i], now) then irregular(ids[i], now) else remove(ids[i], nil) end
    end
    done = done + #ids
  end
  return done
end
`

/** A script: its name (for errors) and Lua source. */
export interface ScriptSource {
  readonly name: string
  readonly source: string
}

/**
 * The prelude's definitions, in order: its locals (always included), then one per `local function`,
 * each with the comment above it. Blocks are separated by blank lines.
 */
const definitions = prelude.trim().split(/\n\n+/).map((block) => ({
  name: /^local function (\w+)\(/m.exec(block)?.[1],
  source: block
}))

/**
 * The part of the prelude that `body` uses: its locals and the functions `body` calls, with those
 * they call in turn. Redis runs a script's whole source on every call, and defining every function
 * of the prelude costs about 2 µs of Redis CPU per call: `exists` measured 8.1 µs with the whole
 * prelude and 5.1 µs with its part (`npm run bench:costs`).
 */
const preludeFor = (body: string): string => {
  const used = new Set<string>()
  const visit = (source: string) => {
    for (const { name, source: definition } of definitions) {
      if (name !== undefined && !used.has(name) && new RegExp(`\\b${name}\\(`).test(source)) {
        used.add(name)
        visit(definition)
      }
    }
  }
  visit(body)
  return definitions
    .filter(({ name }) => name === undefined || used.has(name))
    .map(({ source }) => source)
    .join("\n\n")
}

const script = (name: string, body: string): ScriptSource => ({ name, source: `${preludeFor(body)}\n${body}` })

/**
 * KEYS: A X U R session. ARGV: P off grace reg sid uid ttl lifetime limit policy [field value]...
 * With limit > 0 the user keeps at most limit live sessions: policy 'evict' removes the least
 * recently accessed ones to make room, 'refuse' refuses. Returns {1, now, evicted} or {0} (refused).
 */
export const create = script(
  "create",
  `
local sk = KEYS[5]
if redis.call('EXISTS', sk) == 1 then return redis.error_reply('ERR effect-redisess: session id already exists') end
local now = now_ms()
local sid, uid, ttl, lifetime = ARGV[5], ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
local limit, policy = tonumber(ARGV[9]), ARGV[10]
local evicted = 0
if limit > 0 then
  local ids = redis.call('ZRANGE', P .. 'u:' .. uid, 0, -1)
  local live = {}
  for i = 1, #ids do
    if unexpired(ids[i], now) then live[#live + 1] = ids[i] else remove(ids[i], uid) end
  end
  local over = #live - limit + 1
  if over > 0 then
    if policy == 'refuse' then return {0} end
    for i = 1, over do remove(live[i], uid) end
    evicted = over
  end
end
local deadline = 0
if lifetime > 0 then deadline = now + lifetime end
local exp = expiry(now, ttl, deadline)
index(sid, uid, now, exp, true)
redis.call('HSET', sk, 'u', uid, 'c', now, 't', ttl)
if deadline > 0 then redis.call('HSET', sk, 'l', deadline) end
for i = 11, #ARGV, 2 do redis.call('HSET', sk, ARGV[i], ARGV[i + 1]) end
keep(sk, -2, need(now, exp))
return {1, now, evicted}
`
)

/**
 * KEYS: A X U R session. ARGV: P off grace reg sid touch(1|0) [field name]... Returns {now, fields}
 * (see `load` in the prelude) or nil.
 */
export const get = script(
  "get",
  `
local now = now_ms()
local h = load(ARGV[5], now, ARGV[6] == '1', 7, #ARGV)
if not h then return nil end
return {now, h}
`
)

/** KEYS: A X U R session. ARGV: P off grace reg. Returns 1 when the session is live, else 0. */
export const exists = script(
  "exists",
  `
if live(KEYS[5], now_ms()) then return 1 end
return 0
`
)

/**
 * KEYS: A X U R session. ARGV: P off grace reg sid n [field name]{n} [field value]... Writes fields of a
 * live session; returns {now, fields} (the n named, see `load`) or nil.
 */
export const update = script(
  "update",
  `
local now = now_ms()
if not live(KEYS[5], now) then return nil end
local names = 6 + tonumber(ARGV[6]) -- the field names end here, the values to write follow
for i = names + 1, #ARGV, 2 do redis.call('HSET', KEYS[5], ARGV[i], ARGV[i + 1]) end
return {now, load(ARGV[5], now, false, 7, names)}
`
)

/** KEYS: A X U R session. ARGV: P off grace reg sid. Returns 1 when a live session was killed. */
export const kill = script(
  "kill",
  `
local alive = unexpired(ARGV[5], now_ms())
remove(ARGV[5], nil)
if alive then return 1 end
return 0
`
)

/**
 * KEYS: A X U R user. ARGV: P off grace reg uid limit. Removes up to limit of the user's sessions.
 * Returns {live sessions removed, 1 while there may be more}: a batch shorter than limit was the
 * last, so killing a user with fewer sessions than limit takes one call.
 */
export const killUser = script(
  "killUser",
  `
local now = now_ms()
local limit = tonumber(ARGV[6])
local ids = redis.call('ZRANGE', KEYS[5], 0, limit - 1)
local live = 0
for i = 1, #ids do
  if unexpired(ids[i], now) then live = live + 1 end
  remove(ids[i], ARGV[5])
end
if #ids < limit then
  -- none left (remove drops the user from U with their last session; this also clears a stale entry)
  redis.call('ZREM', U, ARGV[5])
  return {live, 0}
end
return {live, 1}
`
)

/**
 * KEYS: A X U R. ARGV: P off grace reg limit. Removes up to limit sessions, then (once none are left) up to
 * limit leftover user indexes. Returns {live sessions removed, 1 while there may be more}.
 */
export const killAll = script(
  "killAll",
  `
local limit = tonumber(ARGV[5])
local ids = redis.call('ZRANGE', R, 0, limit - 1)
if #ids == 0 then ids = redis.call('ZRANGE', A, 0, limit - 1) end
if #ids > 0 then
  local now = now_ms()
  local live = 0
  for i = 1, #ids do
    if unexpired(ids[i], now) then live = live + 1 end
    remove(ids[i], nil)
  end
  return {live, 1}
end
local users = redis.call('ZRANGE', U, 0, limit - 1)
for i = 1, #users do
  redis.call('DEL', P .. 'u:' .. users[i])
  redis.call('ZREM', U, users[i])
end
redis.call('DEL', X)
if #users > 0 then return {0, 1} end
return {0, 0}
`
)

/** KEYS: A X U R. ARGV: P off grace reg limit. Removes up to limit expired sessions; returns how many. */
export const wipe = script(
  "wipe",
  `
return sweep(now_ms(), tonumber(ARGV[5]))
`
)

/**
 * KEYS: A X U R [user]. ARGV: P off grace reg limit windowMs. Sweeps expired sessions first; returns -1
 * when more may remain (call again), else the number of sessions (of the user when KEYS[5] is
 * given) accessed within the window (0: all).
 */
export const count = script(
  "count",
  `
local now = now_ms()
local limit = tonumber(ARGV[5])
if sweep(now, limit) == limit then return -1 end
local win = tonumber(ARGV[6])
local function within(key)
  if win == 0 then return redis.call('ZCARD', key) end
  return redis.call('ZCOUNT', key, now - win, '+inf')
end
if KEYS[5] then return within(KEYS[5]) end
return within(R) + within(A)
`
)

/**
 * KEYS: A X U R [user]. ARGV: P off grace reg limit windowMs index(s|U|u) pageSize scores(1|0) offset
 * [offset]. Sweeps first ({-1} when more may remain), then returns {1, page, taken [, taken]}: the next
 * up to pageSize entries of the index accessed within the window, oldest first (by score, then
 * member bytes, as a sorted set orders them), from rank offset within the window: ids, or id and
 * score pairs with scores 1 (reading scores costs a client about as much as reading the ids). The
 * sessions index is two sorted sets, R and A, merged here from their two offsets: taken says how
 * many entries of each the page holds.
 */
export const list = script(
  "list",
  `
local now = now_ms()
local limit = tonumber(ARGV[5])
if sweep(now, limit) == limit then return {-1} end
local win, size, scores = tonumber(ARGV[6]), tonumber(ARGV[8]), ARGV[9] == '1'
local function page(key, offset, withScores)
  local first = 0
  if win > 0 then first = redis.call('ZCOUNT', key, '-inf', '(' .. str(now - win)) end
  first = first + tonumber(offset)
  if withScores then return redis.call('ZRANGE', key, first, first + size - 1, 'WITHSCORES') end
  return redis.call('ZRANGE', key, first, first + size - 1)
end
-- a page of one sorted set, and how many entries it took
local function single(key, offset)
  local flat = page(key, offset, scores)
  if not scores then return flat, #flat end
  for i = 2, #flat, 2 do flat[i] = tonumber(flat[i]) end
  return flat, #flat / 2
end
if ARGV[7] == 's' then
  if redis.call('ZCARD', A) == 0 then
    local out, n = single(R, ARGV[10])
    return {1, out, n, 0}
  end
  if redis.call('ZCARD', R) == 0 then
    local out, n = single(A, ARGV[11])
    return {1, out, 0, n}
  end
  local r, a = page(R, ARGV[10], true), page(A, ARGV[11], true)
  local out, i, j = {}, 1, 1
  -- sorted-set order: by score, then by the members' bytes (Lua's < on strings follows the locale)
  local function before(m1, s1, m2, s2)
    if s1 ~= s2 then return s1 < s2 end
    for k = 1, math.min(#m1, #m2) do
      local b1, b2 = string.byte(m1, k), string.byte(m2, k)
      if b1 ~= b2 then return b1 < b2 end
    end
    return #m1 < #m2
  end
  local function emit(flat, k)
    out[#out + 1] = flat[k]
    if scores then out[#out + 1] = tonumber(flat[k + 1]) end
  end
  while (i <= #r or j <= #a) and (i - 1) / 2 + (j - 1) / 2 < size do
    if j > #a or (i <= #r and before(r[i], tonumber(r[i + 1]), a[j], tonumber(a[j + 1]))) then
      emit(r, i)
      i = i + 2
    else
      emit(a, j)
      j = j + 2
    end
  end
  return {1, out, (i - 1) / 2, (j - 1) / 2}
end
local key = U
if ARGV[7] == 'u' then key = KEYS[5] end
local out, n = single(key, ARGV[10])
return {1, out, n}
`
)

/**
 * KEYS: A X U R user. ARGV: P off grace reg limit uid touch(1|0) [field name]... Sweeps first ({-1}
 * when more may remain), then returns {1} when the user has no session, else {1, now, sid, fields}
 * of the least recently active one (touched when asked).
 */
export const oldest = script(
  "oldest",
  `
local now = now_ms()
local limit = tonumber(ARGV[5])
if sweep(now, limit) == limit then return {-1} end
while true do
  local ids = redis.call('ZRANGE', KEYS[5], 0, 0)
  if #ids == 0 then return {1} end
  local h = load(ids[1], now, ARGV[7] == '1', 8, #ARGV)
  if h then return {1, now, ids[1], h} end
  remove(ids[1], ARGV[6])
end
`
)

/**
 * KEYS: A X U R session newSession. ARGV: P off grace reg sid newSid [field name]... Moves a live
 * session to a new id (touching it): its hash, data, createdAt and index entries go with it, and the
 * old id is dead in the same step. Returns {now, fields} or nil when the session is not live.
 */
export const rotate = script(
  "rotate",
  `
local now = now_ms()
local sid, nsid = ARGV[5], ARGV[6]
local h = load(sid, now, true, 7, #ARGV)
if not h then return nil end
if redis.call('EXISTS', KEYS[6]) == 1 then return redis.error_reply('ERR effect-redisess: session id already exists') end
local uid = redis.call('HGET', KEYS[5], 'u')
redis.call('RENAME', KEYS[5], KEYS[6])
for _, key in ipairs({R, A, X, P .. 'u:' .. uid}) do
  local score = redis.call('ZSCORE', key, sid)
  if score then
    redis.call('ZREM', key, sid)
    redis.call('ZADD', key, score, nsid)
  end
end
return {now, h}
`
)

/**
 * KEYS: A X U R session. ARGV: P off grace reg sid. Kills every other session of the session's user.
 * Returns how many live ones it removed, or -1 when the session itself is not live.
 */
export const killOthers = script(
  "killOthers",
  `
local now = now_ms()
local sid = ARGV[5]
local uid = redis.call('HGET', KEYS[5], 'u')
if not uid or not unexpired(sid, now) then return -1 end
local ids = redis.call('ZRANGE', P .. 'u:' .. uid, 0, -1)
local removed = 0
for i = 1, #ids do
  if ids[i] ~= sid then
    if unexpired(ids[i], now) then removed = removed + 1 end
    remove(ids[i], uid)
  end
end
return removed
`
)

/**
 * KEYS: A X U R session. ARGV: P off grace reg maxBytes [key value]... Writes data entries (hash fields
 * `d:<key>`) of a live session, keeping the data size (bytes of keys and values, field `D`) within
 * maxBytes (0: no limit). Returns {1, written}, {-1, size} when the limit would be passed (nothing
 * written), or nil when the session is not live.
 */
export const dataSet = script(
  "dataSet",
  `
local sk = KEYS[5]
if not live(sk, now_ms()) then return nil end
local max = tonumber(ARGV[5])
local size = tonumber(redis.call('HGET', sk, 'D') or '0')
local fields = {}
for i = 6, #ARGV, 2 do
  local f = 'd:' .. ARGV[i]
  local old = redis.call('HSTRLEN', sk, f)
  if old > 0 then size = size - old - #ARGV[i] end
  size = size + #ARGV[i] + #ARGV[i + 1]
  fields[#fields + 1] = f
  fields[#fields + 1] = ARGV[i + 1]
end
if max > 0 and size > max then return {-1, size} end
for i = 1, #fields, 2 do redis.call('HSET', sk, fields[i], fields[i + 1]) end
redis.call('HSET', sk, 'D', size)
return {1, #fields / 2}
`
)

/**
 * KEYS: A X U R session. ARGV: P off grace reg [key]... Reads data entries of a live session (without
 * touching it). Returns {1, values} with false for keys never set, or nil when the session is not live.
 */
export const dataGet = script(
  "dataGet",
  `
local sk = KEYS[5]
if not live(sk, now_ms()) then return nil end
if #ARGV < 5 then return {1, {}} end
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = 'd:' .. ARGV[i] end
return {1, redis.call('HMGET', sk, unpack(fields))}
`
)

/**
 * KEYS: A X U R session. ARGV: P off grace reg. Every data entry of a live session as {1, {key, value, ...}},
 * or nil when the session is not live.
 */
export const dataGetAll = script(
  "dataGetAll",
  `
local sk = KEYS[5]
if not live(sk, now_ms()) then return nil end
local h = redis.call('HGETALL', sk)
local out = {}
for i = 1, #h, 2 do
  if string.sub(h[i], 1, 2) == 'd:' then
    out[#out + 1] = string.sub(h[i], 3)
    out[#out + 1] = h[i + 1]
  end
end
return {1, out}
`
)

/**
 * KEYS: A X U R session. ARGV: P off grace reg [key]... Removes data entries of a live session. Returns
 * how many existed, or -1 when the session is not live.
 */
export const dataRemove = script(
  "dataRemove",
  `
local sk = KEYS[5]
if not live(sk, now_ms()) then return -1 end
local size = tonumber(redis.call('HGET', sk, 'D') or '0')
local removed = 0
for i = 5, #ARGV do
  local f = 'd:' .. ARGV[i]
  local old = redis.call('HSTRLEN', sk, f)
  if old > 0 then
    size = size - old - #ARGV[i]
    redis.call('HDEL', sk, f)
    removed = removed + 1
  end
end
redis.call('HSET', sk, 'D', size)
return removed
`
)

/**
 * KEYS: meta legacyActivity. ARGV: shards regularTtl. The namespace's layout as {shards, regularTtl}:
 * the one recorded, or (recorded now) the one asked for. A namespace holding single-shard data
 * without a record counts as one shard, so its sessions are never silently split; a namespace
 * recorded without a regular ttl (written before regular sessions existed) gets 0, so every
 * session stays where that data has it (in A and X).
 */
export const layout = {
  name: "layout",
  source: `
local shards = redis.call('HGET', KEYS[1], 'shards')
if shards then
  local reg = redis.call('HGET', KEYS[1], 'regularTtl')
  if not reg then
    reg = '0'
    redis.call('HSET', KEYS[1], 'regularTtl', reg)
  end
  return {tonumber(shards), tonumber(reg)}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  if ARGV[1] ~= '1' then return {1, 0} end
  redis.call('HSET', KEYS[1], 'shards', '1', 'regularTtl', '0')
  return {1, 0}
end
redis.call('HSET', KEYS[1], 'shards', ARGV[1], 'regularTtl', ARGV[2])
return {tonumber(ARGV[1]), tonumber(ARGV[2])}
`
} satisfies ScriptSource
