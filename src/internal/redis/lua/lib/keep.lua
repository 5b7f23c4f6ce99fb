-- Keeps a key alive at least need + GRACE / 2 ms from now: when it has less, PEXPIRE need + GRACE,
-- so that a key many sessions share is extended about once per half grace period, not by each.
-- Never shortens a TTL (need 0: the key must not expire), and leaves a key without one as it is
-- (it may hold a session that never expires), unless bounded: all it holds expires within need
-- (a session's own hash, R), so one left without a TTL while native TTLs were off gets one. With
-- native TTLs off (GRACE < 0), removes any TTL the key has (one set while they were on). before
-- is the key's PTTL read before the write (-2: the write created the key; nil: kept_for knows the
-- key lives long enough, and it is left as it is).
-- kept_for, when a script call tracks them (a table, else nil): each key this script call has kept
-- alive, with the longest need it was kept for. The clock does not move within a script call and
-- no key expires during it, so a later call of the same script call needing no more can skip
-- reading the key's TTL (index). Only calls that remove nothing track: a key emptied and written
-- again is a new key, without a TTL.
local kept_for = nil
local function keep(key, before, need, bounded)
  if before == nil then return end
  if need == 0 or GRACE < 0 then
    if before >= 0 then redis.call('PERSIST', key) end
    return
  end
  if before == -2 or (before == -1 and bounded) or (before >= 0 and before < need + GRACE / 2) then
    redis.call('PEXPIRE', key, text(need + GRACE))
  elseif before == -1 then
    return
  end
  if kept_for and (kept_for[key] or 0) < need then kept_for[key] = need end
end
