-- Removes up to limit expired sessions; returns how many it removed (or moved out of R), or limit
-- when it may have left some (call again). The calls of one script call share the one budget of
-- limit, and once a sweep has found none left, the later ones have nothing to do.
local swept, sweep_done = 0, false
local function sweep(now, limit)
  if sweep_done then return 0 end
  local budget = limit - swept
  if budget <= 0 then return limit end
  local ids = redis.call('ZRANGEBYSCORE', X, '-inf', now, 'LIMIT', 0, budget)
  for i = 1, #ids do remove(ids[i], nil) end
  local done = #ids
  if REG > 0 and done < budget then
    ids = redis.call('ZRANGEBYSCORE', R, '-inf', now - REG, 'LIMIT', 0, budget - done)
    for i = 1, #ids do
      if unexpired(ids[i], now) then irregular(ids[i], now) else remove(ids[i], nil) end
    end
    done = done + #ids
  end
  swept = swept + done
  if done == budget then return limit end
  sweep_done = true
  return done
end
