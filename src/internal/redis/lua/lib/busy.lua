-- True once this script call has held Redis BUSY microseconds since its first check, by the
-- server's live clock (TIME in a script reads it; keys expire by the call's start). The loops that
-- remove sessions check after a removal when more are due, and stop there, answering that more may
-- remain: a call lasts about BUSY and one removal more, whatever its batch size and however slow
-- the machine.
local busy_since = nil
local function busy()
  local t = redis.call('TIME')
  local us = tonumber(t[1]) * 1000000 + tonumber(t[2])
  if busy_since == nil then busy_since = us end
  return us - busy_since >= BUSY
end
