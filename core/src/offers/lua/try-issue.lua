-- One offer decision, atomically: walk the candidate campaigns in rank order and issue the first
-- one whose budget, holding, caps and cooldown allow it; spend only for that one.
-- Remembers the answer under the decision id, so a replayed decision spends nothing (even if
-- the ranking changed in between).
-- Every key carries the same hash tag ({hx-offers}), so the script is one Redis Cluster slot.
-- KEYS[1] decision  string: the answer (JSON), PX ttl
-- KEYS[2] daily     string: coupons this device got on its local day, PX ttl
-- KEYS[1 + 2i]      string: coupons campaign i issued (spent)
-- KEYS[2 + 2i]      hash: count, lastAt, holdingUntil (this device, campaign i)
-- ARGV[1] now  ARGV[2] ttl ms for the decision and the daily counter  ARGV[3] candidates n
-- ARGV[4 + 6(i-1) ..] per candidate i: campaignId, expiresAt, budget, capPerDevice,
--                     capPerDevicePerDay, couponGapMs
-- Returns the answer: {"issued":"<campaignId>","refused":[...]} or {"refused":[[campaignId, reason], ...]}
-- (cjson encodes an empty list as {}: the caller reads a non-array as empty).
local known = redis.call('GET', KEYS[1])
if known then return known end
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[3])
local today = tonumber(redis.call('GET', KEYS[2]) or '0')
local refused = {}
for i = 1, n do
  local a = 4 + 6 * (i - 1)
  local campaign = ARGV[a]
  local spent_key = KEYS[1 + 2 * i]
  local device_key = KEYS[2 + 2 * i]
  local spent = tonumber(redis.call('GET', spent_key) or '0')
  local device = redis.call('HMGET', device_key, 'count', 'lastAt', 'holdingUntil')
  local count = tonumber(device[1] or '0')
  local last_at = tonumber(device[2] or '-1e18')
  local holding_until = tonumber(device[3] or '0')
  local reason = nil
  if spent >= tonumber(ARGV[a + 2]) then reason = 'budget-exhausted'
  elseif holding_until > now then reason = 'holding'
  elseif count >= tonumber(ARGV[a + 3]) then reason = 'device-cap'
  elseif today >= tonumber(ARGV[a + 4]) then reason = 'daily-cap'
  elseif now - last_at < tonumber(ARGV[a + 5]) then reason = 'cooldown'
  end
  if reason == nil then
    redis.call('INCR', spent_key)
    redis.call('HSET', device_key, 'count', count + 1, 'lastAt', ARGV[1], 'holdingUntil', ARGV[a + 1])
    redis.call('INCR', KEYS[2])
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
    local answer = cjson.encode({ issued = campaign, refused = refused })
    redis.call('SET', KEYS[1], answer, 'PX', ARGV[2])
    return answer
  end
  refused[#refused + 1] = { campaign, reason }
end
local answer = '{"refused":' .. (n == 0 and '[]' or cjson.encode(refused)) .. '}'
redis.call('SET', KEYS[1], answer, 'PX', ARGV[2])
return answer
