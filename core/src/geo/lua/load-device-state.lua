-- Loads devices' geo states. Per device d (from 0):
-- KEYS[2d+1] hx:pos:{deviceId}   hash: ts, fix (JSON)
-- KEYS[2d+2] hx:mem:{deviceId}   string: membership JSON
-- Returns, per device, its fix JSON then its membership JSON (false where absent).
local out = {}
for i = 1, #KEYS, 2 do
  out[i] = redis.call('HGET', KEYS[i], 'fix') or false
  out[i + 1] = redis.call('GET', KEYS[i + 1]) or false
end
return out
