-- Returns 1 when session SID is live, else 0.
if unexpired(SID, now_ms()) then return 1 end
return 0
