-- Removes up to limit expired sessions; returns how many it removed (or moved out of R), and true
-- when it may have left some (call again). The calls of one script call share the one budget of
-- limit, and its time (busy): once a sweep has found none left, or used up either, the later ones
-- have nothing to do.
local swept, sweep_done = 0, false
local function sweep(now, limit)
  if sweep_done then return 0, false end
  local budget = limit - swept
  if budget <= 0 then return 0, true end
  -- expired, and in A and X (where X found them), not in R
  local done, whole = each(redis.call('ZRANGEBYSCORE', X, '-inf', now, 'LIMIT', 0, budget), function(sid)
    remove(sid, nil, 'A', false)
  end)
  if whole and REG > 0 and done < budget then
    -- past the regular ttl in R, so expired unless their times say otherwise (moved to A and X)
    local ids = redis.call('ZRANGEBYSCORE', R, '-inf', now - REG, 'LIMIT', 0, budget - done)
    local more
    more, whole = each(ids, function(sid)
      local alive, user = unexpired(sid, now)
      if alive then irregular(sid, now) else remove(sid, user, 'R', true) end
    end)
    done = done + more
  end
  if not whole then
    swept = limit
    return done, true
  end
  swept = swept + done
  if done == budget then return done, true end
  sweep_done = true
  return done, false
end
