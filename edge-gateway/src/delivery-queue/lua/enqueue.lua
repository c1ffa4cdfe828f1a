-- Enqueues one item for a device unless it is late, seen before, or over a bound.
-- KEYS[1] items hash      id -> item JSON
-- KEYS[2] queue list      the device's queued ids, oldest first
-- KEYS[3] in-flight list  the device's sent-but-unacknowledged ids, in send order
-- KEYS[4] deadlines zset  id -> expiresAt
-- KEYS[5] seen zset       id -> when the id may be forgotten (duplicate detection after delivery)
-- ARGV[1] id  ARGV[2] expiresAt  ARGV[3] item JSON  ARGV[4] now
-- ARGV[5] max items per device  ARGV[6] max items in all  ARGV[7] how long ids are remembered past expiresAt (ms)
-- ARGV[8] claim: when > 0, the device is connected to the caller and nothing is being claimed for
--         it: up to that many of its queued items (this one included) are claimed at once
--         (claim-items.lua), saving the caller a second round trip.
-- Returns "ok" (ARGV[8] = 0), {"ok", claimed JSONs...} (ARGV[8] > 0) or the reject reason.
local id = ARGV[1]
local expires_at = tonumber(ARGV[2])
local now = tonumber(ARGV[4])
if redis.call('ZSCORE', KEYS[5], id) then return 'duplicate' end
redis.call('ZADD', KEYS[5], expires_at + tonumber(ARGV[7]), id)
if expires_at <= now then return 'expired-on-arrival' end
if redis.call('LLEN', KEYS[2]) + redis.call('LLEN', KEYS[3]) >= tonumber(ARGV[5]) then return 'queue-full' end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[6]) then return 'queue-full' end
redis.call('HSET', KEYS[1], id, ARGV[3])
redis.call('RPUSH', KEYS[2], id)
redis.call('ZADD', KEYS[4], expires_at, id)
local claim = tonumber(ARGV[8])
if claim > 0 then
  local claimed = claim_items(KEYS[1], KEYS[2], KEYS[3], now, claim)
  table.insert(claimed, 1, 'ok')
  return claimed
end
return 'ok'
