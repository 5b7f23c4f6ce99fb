-- Keeps a key alive at least need + GRACE / 2 ms from now: when it has less, PEXPIRE need + GRACE,
-- so that a key many sessions share is extended about once per half grace period, not by each.
-- Never shortens a TTL (need 0: the key must not expire), and leaves a key without one as it is
-- (it may hold a session that never expires), unless bounded: all it holds expires within need
-- (a session's own hash, R), so one left without a TTL while native TTLs were off gets one. With
-- native TTLs off (GRACE < 0), removes any TTL the key has (one set while they were on). before
-- is the key's PTTL read before the write (-2: the write created the key).
local function keep(key, before, need, bounded)
  if need == 0 or GRACE < 0 then
    if before >= 0 then redis.call('PERSIST', key) end
  elseif before == -2 or (before == -1 and bounded) or (before >= 0 and before < need + GRACE / 2) then
    redis.call('PEXPIRE', key, text(need + GRACE))
  end
end
