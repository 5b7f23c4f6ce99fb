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
