-- Stores a session's list for as long as its clicks live; a session that is gone keeps no list.
-- KEYS[1] clicks list, KEYS[2] stored list; ARGV[1] the list's JSON.
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  return 0
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl)
return 1
