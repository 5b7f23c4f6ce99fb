-- Removes up to LIMIT expired sessions of the shard. Returns {how many, 1 while there may be more}.
local removed, more = sweep(now_ms(), LIMIT)
if more then return {removed, 1} end
return {removed, 0}
