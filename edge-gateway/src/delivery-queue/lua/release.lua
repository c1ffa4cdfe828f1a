-- Puts a device's in-flight items back at the front of its queue, in their order.
-- KEYS[1] queue list  KEYS[2] in-flight list
-- Returns how many went back.
local ids = redis.call('LRANGE', KEYS[2], 0, -1)
for i = #ids, 1, -1 do redis.call('LPUSH', KEYS[1], ids[i]) end
redis.call('DEL', KEYS[2])
return #ids
