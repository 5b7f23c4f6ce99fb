-- How long the keys of a session expiring at exp must live (0: for ever).
local function need(now, exp)
  if exp > 0 then return exp - now end
  return 0
end
