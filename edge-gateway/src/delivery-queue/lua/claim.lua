-- Moves up to ARGV[2] unexpired queued items of a device to in-flight, oldest first (claim-items.lua).
-- KEYS[1] items hash  KEYS[2] queue list  KEYS[3] in-flight list
-- ARGV[1] now  ARGV[2] max
-- Returns the claimed item JSONs.
return claim_items(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1]), tonumber(ARGV[2]))
