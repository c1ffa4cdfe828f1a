-- Commits devices' geo states, each only if nobody moved it since it was loaded.
-- Per device d (from 0), two keys and five arguments:
-- KEYS[2d+1] hx:pos:{deviceId}   hash: ts, fix (JSON)
-- KEYS[2d+2] hx:mem:{deviceId}   string: membership JSON
-- ARGV[5d+1] expected ts of the stored fix, or "" when none was stored
-- ARGV[5d+2] new fix ts
-- ARGV[5d+3] new fix JSON
-- ARGV[5d+4] new membership JSON
-- ARGV[5d+5] ttl ms for both keys
-- Returns, per device, 1 (committed) or 0 (conflict: the stored fix changed or the new one is not newer).
local out = {}
for d = 0, #KEYS / 2 - 1 do
  local pos, mem, a = KEYS[2 * d + 1], KEYS[2 * d + 2], 5 * d
  local current = redis.call('HGET', pos, 'ts')
  local ok = 1
  if ARGV[a + 1] == '' then
    if current then ok = 0 end
  elseif not current or current ~= ARGV[a + 1] or tonumber(ARGV[a + 2]) <= tonumber(current) then
    ok = 0
  end
  if ok == 1 then
    redis.call('HSET', pos, 'ts', ARGV[a + 2], 'fix', ARGV[a + 3])
    redis.call('PEXPIRE', pos, ARGV[a + 5])
    redis.call('SET', mem, ARGV[a + 4], 'PX', ARGV[a + 5])
  end
  out[d + 1] = ok
end
return out
