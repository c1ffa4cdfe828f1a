-- Commits a device's geo state if nobody moved it since it was loaded.
-- KEYS[1] hx:pos:{deviceId}   hash: ts, fix (JSON)
-- KEYS[2] hx:mem:{deviceId}   string: membership JSON
-- ARGV[1] expected ts of the stored fix, or "" when none was stored
-- ARGV[2] new fix ts
-- ARGV[3] new fix JSON
-- ARGV[4] new membership JSON
-- ARGV[5] ttl ms for both keys
-- Returns 1 (committed) or 0 (conflict: the stored fix changed or the new one is not newer).
local current = redis.call('HGET', KEYS[1], 'ts')
if ARGV[1] == '' then
  if current then return 0 end
else
  if not current or current ~= ARGV[1] then return 0 end
  if tonumber(ARGV[2]) <= tonumber(current) then return 0 end
end
redis.call('HSET', KEYS[1], 'ts', ARGV[2], 'fix', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
return 1
