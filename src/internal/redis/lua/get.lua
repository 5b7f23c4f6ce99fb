-- Reads session SID (touching it when TOUCH), with the additional fields FIELD_NAMES_AT.. names.
-- Returns {now, session} (see load), or nil when it is not live.
local now = now_ms()
local s = load(SID, now, TOUCH, FIELD_NAMES_AT, #ARGV)
if not s then return nil end
return {now, s}
