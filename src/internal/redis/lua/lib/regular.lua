-- True when a session accessed at a and expiring at exp is regular: indexed in R only, since its
-- expiry follows from its last access.
local function regular(a, exp)
  return REG > 0 and exp == a + REG
end
