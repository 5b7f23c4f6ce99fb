-- Removes up to limit expired sessions; returns how many it removed (or moved out of R), and true
-- when it may have left some (call again). The calls of one script call share the one budget of
-- limit, and its time (busy): once a sweep has found none left, or used up either, the later ones
-- have nothing to do.
local swept, sweep_done = 0, false
local function sweep(now, limit)
  if sweep_done then return 0, false end
  local budget = limit - swept
  if budget <= 0 then return 0, true end
  local done = 0
  local ids = redis.call('ZRANGEBYSCORE', X, '-inf', now, 'LIMIT', 0, budget)
  for i = 1, #ids do
    remove(ids[i], nil, 'A', false)
    done = done + 1
    if i < #ids and busy() then
      swept = limit
      return done, true
    end
  end
  if REG > 0 and done < budget then
    ids = redis.call('ZRANGEBYSCORE', R, '-inf', now - REG, 'LIMIT', 0, budget - done)
    for i = 1, #ids do
      local user, _, _, _, exp = state(ids[i])
      if user ~= nil and (exp == 0 or exp > now) then
        irregular(ids[i], now)
      else
        remove(ids[i], user, 'R', true)
      end
      done = done + 1
      if i < #ids and busy() then
        swept = limit
        return done, true
      end
    end
  end
  swept = swept + done
  if done == budget then return done, true end
  sweep_done = true
  return done, false
end
