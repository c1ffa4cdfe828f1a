-- Raises a device's recent fraud risk to ARGV[1] if it is higher than the stored one (or none is).
-- KEYS[1] risk string (expires)
-- ARGV[1] risk in [0, 1]   ARGV[2] ttl ms
local current = redis.call('GET', KEYS[1])
if (not current) or tonumber(ARGV[1]) > tonumber(current) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
