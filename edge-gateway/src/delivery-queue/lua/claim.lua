-- Moves up to ARGV[2] unexpired queued items of a device to in-flight, oldest first.
-- Items past their deadline stay queued (purge accounts for them) and do not block younger ones.
-- KEYS[1] items hash  KEYS[2] queue list  KEYS[3] in-flight list
-- ARGV[1] now  ARGV[2] max
-- Returns the claimed item JSONs.
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local ids = redis.call('LRANGE', KEYS[2], 0, -1)
local claimed, kept = {}, {}
for _, id in ipairs(ids) do
  local json = redis.call('HGET', KEYS[1], id)
  if json then
    local item = cjson.decode(json)
    if #claimed < max and item.expiresAt > now then
      claimed[#claimed + 1] = json
      redis.call('RPUSH', KEYS[3], id)
    else
      kept[#kept + 1] = id
    end
  end
end
if #claimed > 0 then
  redis.call('DEL', KEYS[2])
  for i = 1, #kept, 1000 do
    redis.call('RPUSH', KEYS[2], unpack(kept, i, math.min(i + 999, #kept)))
  end
end
return claimed
