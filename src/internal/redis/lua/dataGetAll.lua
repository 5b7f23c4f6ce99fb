-- Every data entry of live session SID as {{key, value, ...}}, or nil when it is not live.
if not unexpired(SID, now_ms()) then return nil end
local h = redis.call('HGETALL', SESSION)
local out = {}
local n = #DATA_PREFIX
for i = 1, #h, 2 do
  if string.sub(h[i], 1, n) == DATA_PREFIX then
    out[#out + 1] = string.sub(h[i], n + 1)
    out[#out + 1] = h[i + 1]
  end
end
return {out}
