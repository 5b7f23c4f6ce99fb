-- Removes session SID and its index entries. Returns 1 when it was live, else 0.
local alive = unexpired(SID, now_ms())
remove(SID, nil)
if alive then return 1 end
return 0
