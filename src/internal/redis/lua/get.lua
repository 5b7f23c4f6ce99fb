-- Reads session SID (touching it when TOUCH, unless it was accessed less than TOUCH_AFTER ms ago),
-- with the additional fields FIELD_NAMES_AT.. names.
-- Returns the session (see load) followed by now, in one table, or nil when it is not live.
local now = now_ms()
local s = load(SID, now, TOUCH, FIELD_NAMES_AT, FIELD_NAMES_END, TOUCH_AFTER, SESSION)
if not s then return nil end
s[#s + 1] = now
return s
