-- Removes session sid (see remove), reading its hash once; true when it was live at now. uid: a
-- hint for when the hash is gone; where: the index it was found in, as for remove.
local function drop(sid, now, uid, where)
  local alive, user = unexpired(sid, now)
  remove(sid, user or uid, where, true)
  return alive
end
