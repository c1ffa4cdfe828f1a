-- Records one payment against one fraud entity and returns the entity's history from just
-- before it, as JSON. Idempotent per (entity, payment): a second call returns the first answer.
-- KEYS[1] events   zset  member "<paymentId>|<amount>", score = payment time (ms)
-- KEYS[2] snapshot string, this payment's answer (kept for the replay window)
-- KEYS[3] meta     hash  first, n, sum, sumsq, lat, lng, lastAt
-- KEYS[4] aux      zset  member = aux id, score = last time seen with this entity
-- ARGV[1] at (ms)        ARGV[2] paymentId    ARGV[3] amount
-- ARGV[4] aux ('' none)  ARGV[5] lat ('' none) ARGV[6] lng
-- ARGV[7] window ms      ARGV[8] state ms      ARGV[9] aux retention ms   ARGV[10] max events
-- ARGV[11] replay ms (how long the snapshot answers a redelivery)
local snap = redis.call('GET', KEYS[2])
if snap then return snap end

local at = tonumber(ARGV[1])
local window = tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (at - window))
local c1m, c1h, c24h, s1h, s24h = 0, 0, 0, 0, 0
local rows = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (at - 86400000), at, 'WITHSCORES')
for i = 1, #rows, 2 do
  local ts = tonumber(rows[i + 1])
  local amount = tonumber(string.match(rows[i], '|([^|]*)$'))
  c24h = c24h + 1
  s24h = s24h + amount
  if ts > at - 3600000 then
    c1h = c1h + 1
    s1h = s1h + amount
  end
  if ts > at - 60000 then c1m = c1m + 1 end
end

local meta = redis.call('HMGET', KEYS[3], 'first', 'n', 'sum', 'sumsq', 'lat', 'lng', 'lastAt')
local distinct, auxSeen = 0, false
if ARGV[4] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. (at - tonumber(ARGV[9])))
  auxSeen = redis.call('ZSCORE', KEYS[4], ARGV[4]) ~= false
  redis.call('ZADD', KEYS[4], at, ARGV[4])
  redis.call('PEXPIRE', KEYS[4], ARGV[9])
  distinct = redis.call('ZCARD', KEYS[4])
end

local last = cjson.null
if meta[5] then
  last = { lat = tonumber(meta[5]), lng = tonumber(meta[6]), at = tonumber(meta[7]) }
end
local history = cjson.encode({
  count1m = c1m, count1h = c1h, count24h = c24h, sum1h = s1h, sum24h = s24h,
  firstSeenAt = meta[1] and tonumber(meta[1]) or cjson.null,
  distinctAux = distinct, auxSeen = auxSeen,
  amounts = { n = tonumber(meta[2] or '0'), sum = tonumber(meta[3] or '0'), sumSq = tonumber(meta[4] or '0') },
  last = last,
})

local amount = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], at, ARGV[2] .. '|' .. ARGV[3])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[10])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end
redis.call('PEXPIRE', KEYS[1], window)
if (not meta[1]) or at < tonumber(meta[1]) then redis.call('HSET', KEYS[3], 'first', at) end
redis.call('HINCRBY', KEYS[3], 'n', 1)
redis.call('HINCRBYFLOAT', KEYS[3], 'sum', amount)
redis.call('HINCRBYFLOAT', KEYS[3], 'sumsq', amount * amount)
if ARGV[5] ~= '' and ((not meta[7]) or at >= tonumber(meta[7])) then
  redis.call('HSET', KEYS[3], 'lat', ARGV[5], 'lng', ARGV[6], 'lastAt', at)
end
redis.call('PEXPIRE', KEYS[3], ARGV[8])
redis.call('SET', KEYS[2], history, 'PX', ARGV[11])
return history
