-- Indexes a session that is not regular: in A by last access, and in X by expiry when it
-- expires, keeping both keys alive for n ms (ba, bx: their PTTLs read before).
local function other(sid, last, exp, ba, bx, n)
  redis.call('ZADD', A, text(last), sid)
  keep(A, ba, n)
  if exp > 0 then
    redis.call('ZADD', X, text(exp), sid)
    keep(X, bx, n)
  end
end
