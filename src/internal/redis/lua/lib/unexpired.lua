-- True when the session sid (of this shard) exists and has not expired at now; then its user, as
-- its hash gives it (nil when the hash is gone).
local function unexpired(sid, now)
  local uid, _, _, _, exp = state(sid)
  return uid ~= nil and (exp == 0 or exp > now), uid
end
