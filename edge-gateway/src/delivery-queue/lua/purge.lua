-- Removes up to ARGV[2] items whose deadline has passed, saying where each expired.
-- KEYS[1] items hash  KEYS[2] deadlines zset  KEYS[3] seen zset
-- ARGV[1] now  ARGV[2] limit  ARGV[3] key prefix of the per-device lists (same hash tag as KEYS)
-- Per-device list keys are derived from ARGV[3]; they share the namespace's hash tag, so the
-- script stays in one cluster slot.
-- Returns a flat array: item JSON, where, item JSON, where, ...
local now = tonumber(ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[2], id)
  local json = redis.call('HGET', KEYS[1], id)
  if json then
    local item = cjson.decode(json)
    local where = 'queue'
    if redis.call('LREM', ARGV[3] .. 'f:' .. item.deviceId, 1, id) == 1 then
      where = 'in-flight'
    else
      redis.call('LREM', ARGV[3] .. 'q:' .. item.deviceId, 1, id)
      if item.pushed then where = 'push' end
    end
    redis.call('HDEL', KEYS[1], id)
    out[#out + 1] = json
    out[#out + 1] = where
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
return out
