-- The device acknowledged an in-flight item: it is delivered unless its deadline has passed
-- (then purge accounts it as expired in flight, and the late ack is ignored).
-- KEYS[1] items hash  KEYS[2] in-flight list  KEYS[3] deadlines zset
-- ARGV[1] id  ARGV[2] now
-- Returns 1 (delivered) or 0.
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return 0 end
if cjson.decode(json).expiresAt <= tonumber(ARGV[2]) then return 0 end
if redis.call('LREM', KEYS[2], 1, ARGV[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
