-- Applies one change to a device profile unless its event id was applied before.
-- KEYS[1] profile hash: total, offers, redeemed, c:<category> (PX profile ttl)
-- KEYS[2] seen    string: marks this event id as applied (PX seen ttl); same hash tag as KEYS[1]
-- ARGV[1] click category ('' = no click, '-' = a click without a category)
-- ARGV[2] offers to add  ARGV[3] redemptions to add  ARGV[4] profile ttl ms  ARGV[5] seen ttl ms
-- Returns 1 when applied, 0 for a repeat.
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[5]) then return 0 end
if ARGV[1] ~= '' then
  redis.call('HINCRBY', KEYS[1], 'total', 1)
  if ARGV[1] ~= '-' then redis.call('HINCRBY', KEYS[1], 'c:' .. ARGV[1], 1) end
end
if ARGV[2] ~= '0' then redis.call('HINCRBY', KEYS[1], 'offers', ARGV[2]) end
if ARGV[3] ~= '0' then redis.call('HINCRBY', KEYS[1], 'redeemed', ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
