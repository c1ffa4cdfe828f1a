-- One offer decision, atomically: check budget, holding, caps, cooldown; spend if allowed.
-- Remembers the answer under the decision id, so a replayed decision spends nothing.
-- Every key carries the same hash tag ({hx-offers}), so the script is one Redis Cluster slot.
-- KEYS[1] decision   string: the answer ("ok" or a refusal reason), PX ttl
-- KEYS[2] spent      string: coupons the campaign issued
-- KEYS[3] device     hash: count, lastAt, holdingUntil (this device, this campaign)
-- KEYS[4] daily      string: coupons this device got on its local day, PX ttl
-- ARGV[1] now  ARGV[2] expiresAt  ARGV[3] budget  ARGV[4] capPerDevice  ARGV[5] capPerDevicePerDay
-- ARGV[6] cooldownMs  ARGV[7] ttl ms for the decision and the daily counter
-- Returns "ok" or the refusal reason.
local known = redis.call('GET', KEYS[1])
if known then return known end
local now = tonumber(ARGV[1])
local function answer(value)
  redis.call('SET', KEYS[1], value, 'PX', ARGV[7])
  return value
end
local spent = tonumber(redis.call('GET', KEYS[2]) or '0')
local device = redis.call('HMGET', KEYS[3], 'count', 'lastAt', 'holdingUntil')
local count = tonumber(device[1] or '0')
local last_at = tonumber(device[2] or '-1e18')
local holding_until = tonumber(device[3] or '0')
local today = tonumber(redis.call('GET', KEYS[4]) or '0')
if spent >= tonumber(ARGV[3]) then return answer('budget-exhausted') end
if holding_until > now then return answer('holding') end
if count >= tonumber(ARGV[4]) then return answer('device-cap') end
if today >= tonumber(ARGV[5]) then return answer('daily-cap') end
if now - last_at < tonumber(ARGV[6]) then return answer('cooldown') end
redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[3], 'count', count + 1, 'lastAt', ARGV[1], 'holdingUntil', ARGV[2])
redis.call('INCR', KEYS[4])
redis.call('PEXPIRE', KEYS[4], ARGV[7])
return answer('ok')
