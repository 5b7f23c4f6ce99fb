-- Calls step on each of ids in turn, stopping early once this script call has run its time (busy)
-- while some are left; returns how many it did and whether that was all of them. Every loop that
-- removes sessions goes through it.
local function each(ids, step)
  for i = 1, #ids do
    step(ids[i])
    if i < #ids and busy() then return i, false end
  end
  return #ids, true
end
