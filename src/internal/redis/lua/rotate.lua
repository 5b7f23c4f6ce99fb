-- Moves live session SID to NEW_SID (touching it): its hash, data, creation time and index entries
-- go with it, and the old id is dead in the same step. A forward record (FORWARD, for FORWARD_TTL
-- ms) lets a kill of the old id that races this reach the session under its new id. Returns
-- the session (see load, with the fields FIELD_NAMES_AT.. names) followed by now, in one table, or
-- nil when it is not live.
local now = now_ms()
local s = load(SID, now, true, FIELD_NAMES_AT, FIELD_NAMES_END, nil, SESSION)
if not s then return nil end
if redis.call('EXISTS', NEW_SESSION) == 1 then
  return redis.error_reply('ERR effect-redisess: session id already exists')
end
redis.call('RENAME', SESSION, NEW_SESSION)
for _, key in ipairs({R, A, X, P .. USER_KEY .. s[1]}) do
  local score = redis.call('ZSCORE', key, SID)
  if score then
    -- the new id first: a set whose only member this is never empties, which would delete it with
    -- its native TTL and make it anew without one (a key kept for ever, see keep)
    redis.call('ZADD', key, score, NEW_SID)
    redis.call('ZREM', key, SID)
  end
end
-- the record says until when it holds, by the store's clock, and expires a little after
redis.call('SET', FORWARD, str(now + FORWARD_TTL) .. ' ' .. NEW_SID, 'PX', FORWARD_TTL + 1000)
s[#s + 1] = now
return s
