-- Removes session sid (see remove), reading its hash once; true when it was live at now. uid: a
-- hint for when the hash is gone; where: the index it was found in, as for remove.
local function drop(sid, now, uid, where)
  local user, _, _, _, exp = state(sid)
  remove(sid, user or uid, where, true)
  return user ~= nil and (exp == 0 or exp > now)
end
