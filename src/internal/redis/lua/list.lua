-- Sweeps up to LIMIT expired sessions first ({-1} when more may remain: call again), then returns
-- {1, page, taken [, taken]}: the next up to SIZE entries of an index accessed within the last
-- WINDOW ms (0: all), oldest first (by score, then member bytes, as a sorted set orders them),
-- from the rank offsets at OFFSETS_AT.. within the window: ids, or id and score pairs with SCORES.
-- INDEX 's' is the sessions index, two sorted sets (R and A) merged here from one offset each
-- (taken says how many entries of each the page holds); 'u' the sessions of USER; 'U' the users
-- (with SCORES): the sessions index's page with each session's user (from its hash) in place of
-- its id, and none for a session whose hash is gone (a user is as recent as their latest session:
-- the caller keeps each user's latest).
local now = now_ms()
local _, more = sweep(now, LIMIT)
if more then return {-1} end
local function page(key, offset, withScores)
  local first = 0
  if WINDOW > 0 then first = redis.call('ZCOUNT', key, '-inf', '(' .. str(now - WINDOW)) end
  first = first + tonumber(offset)
  if withScores then return redis.call('ZRANGE', key, first, first + SIZE - 1, 'WITHSCORES') end
  return redis.call('ZRANGE', key, first, first + SIZE - 1)
end
-- a page of one sorted set, and how many entries it took
local function single(key, offset)
  local flat = page(key, offset, SCORES)
  if not SCORES then return flat, #flat end
  for i = 2, #flat, 2 do flat[i] = tonumber(flat[i]) end
  return flat, #flat / 2
end
-- the sessions index's page, and how many entries of R and of A it took
local function sessions()
  if redis.call('ZCARD', A) == 0 then
    local out, n = single(R, ARGV[OFFSETS_AT])
    return out, n, 0
  end
  if redis.call('ZCARD', R) == 0 then
    local out, n = single(A, ARGV[OFFSETS_AT + 1])
    return out, 0, n
  end
  local r, a = page(R, ARGV[OFFSETS_AT], true), page(A, ARGV[OFFSETS_AT + 1], true)
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
    if SCORES then out[#out + 1] = tonumber(flat[k + 1]) end
  end
  while (i <= #r or j <= #a) and (i - 1) / 2 + (j - 1) / 2 < SIZE do
    if j > #a or (i <= #r and before(r[i], tonumber(r[i + 1]), a[j], tonumber(a[j + 1]))) then
      emit(r, i)
      i = i + 2
    else
      emit(a, j)
      j = j + 2
    end
  end
  return out, (i - 1) / 2, (j - 1) / 2
end
if INDEX == 'u' then
  local out, n = single(USER, ARGV[OFFSETS_AT])
  return {1, out, n}
end
local out, r, a = sessions()
if INDEX == 'U' then
  local users = {}
  for k = 1, #out, 2 do
    local uid = redis.call('HGET', P .. SESSION_KEY .. out[k], F_USER)
    if uid then
      users[#users + 1] = uid
      users[#users + 1] = out[k + 1]
    end
  end
  out = users
end
return {1, out, r, a}
