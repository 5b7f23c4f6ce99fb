-- Removes a session and every index entry of it. uid is a hint for when the hash is gone.
-- Reads come before writes: on a Cluster slot being migrated, a key already moved fails the
-- read, so the script stops before it has changed anything of this session.
local function remove(sid, uid)
  local sk = P .. SESSION_KEY .. sid
  uid = redis.call('HGET', sk, F_USER) or uid
  local uk = nil
  if uid then
    uk = P .. USER_KEY .. uid
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
