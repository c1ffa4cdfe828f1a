-- Appends a click to a session's list unless its id is there already, keeps the last ARGV[3],
-- and renews the time to live of the clicks and of the stored list.
-- KEYS[1] clicks list, KEYS[2] stored list; ARGV[1] click JSON, ARGV[2] click id, ARGV[3] max
-- clicks, ARGV[4] ttl ms. Returns {appended 0|1, clicks...}.
local clicks = redis.call('LRANGE', KEYS[1], 0, -1)
local needle = '"id":' .. cjson.encode(ARGV[2]) .. ','
for _, c in ipairs(clicks) do
  if string.find(c, needle, 1, true) then
    return { 0 }
  end
end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
local out = { 1 }
for _, c in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  out[#out + 1] = c
end
return out
