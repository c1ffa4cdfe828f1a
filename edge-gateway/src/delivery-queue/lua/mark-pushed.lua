-- Marks a queued (not in-flight), unexpired, not yet pushed item as sent through push.
-- KEYS[1] items hash  KEYS[2] queue list
-- ARGV[1] id  ARGV[2] now
-- Returns the item JSON when this call marked it, else false.
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return false end
local item = cjson.decode(json)
if item.pushed or item.expiresAt <= tonumber(ARGV[2]) then return false end
if not redis.call('LPOS', KEYS[2], ARGV[1]) then return false end
item.pushed = true
json = cjson.encode(item)
redis.call('HSET', KEYS[1], ARGV[1], json)
return json
