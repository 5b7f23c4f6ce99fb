-- True when the session sid (of this shard) exists and has not expired at now.
local function unexpired(sid, now)
  local uid, _, _, _, exp = state(sid)
  return uid ~= nil and (exp == 0 or exp > now)
end
