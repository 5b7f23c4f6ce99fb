-- Removes a session and every index entry of it. uid: its user as the caller read it from the
-- session's hash in this call (read), or else a hint for when the hash is gone (read here first).
-- where: the index the caller found it in, 'R' (so it is in neither A nor X) or 'A' (A or X, so
-- not in R); nil when unknown. Reads come before writes: on a Cluster slot being migrated, a key
-- already moved fails the read, so the script stops before it has changed anything of this session.
local function remove(sid, uid, where, read)
  local sk = P .. SESSION_KEY .. sid
  if not read then uid = redis.call('HGET', sk, F_USER) or uid end
  local uk = nil
  if uid then
    uk = P .. USER_KEY .. uid
    redis.call('EXISTS', uk)
  end
  redis.call('UNLINK', sk) -- a session with much data is freed off the main thread
  if where ~= 'A' then redis.call('ZREM', R, sid) end
  if where ~= 'R' then
    redis.call('ZREM', A, sid)
    redis.call('ZREM', X, sid)
  end
  if uk then redis.call('ZREM', uk, sid) end
end
