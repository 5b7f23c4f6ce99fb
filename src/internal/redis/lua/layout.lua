-- The namespace's layout as {shards, regularTtl}: the one recorded in META, or (recorded now)
-- SHARDS and REGULAR_TTL.
local shards = redis.call('HGET', META, L_SHARDS)
if shards then return {tonumber(shards), tonumber(redis.call('HGET', META, L_REGULAR_TTL))} end
redis.call('HSET', META, L_SHARDS, SHARDS, L_REGULAR_TTL, REGULAR_TTL)
return {SHARDS, REGULAR_TTL}
