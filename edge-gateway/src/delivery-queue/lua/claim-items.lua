-- claim_items(items, queue, in_flight, now, max): moves up to max unexpired queued items of a
-- device to in-flight, oldest first, and returns their JSONs. Items past their deadline stay
-- queued (purge accounts for them) and do not block younger ones.
-- items: hash id -> item JSON; queue: the device's queued ids; in_flight: its sent ids, in order.
local function claim_items(items, queue, in_flight, now, max)
  local ids = redis.call('LRANGE', queue, 0, -1)
  local claimed, kept = {}, {}
  for _, id in ipairs(ids) do
    local json = redis.call('HGET', items, id)
    if json then
      local item = cjson.decode(json)
      if #claimed < max and item.expiresAt > now then
        claimed[#claimed + 1] = json
        redis.call('RPUSH', in_flight, id)
      else
        kept[#kept + 1] = id
      end
    end
  end
  if #claimed > 0 then
    redis.call('DEL', queue)
    for i = 1, #kept, 1000 do
      redis.call('RPUSH', queue, unpack(kept, i, math.min(i + 999, #kept)))
    end
  end
  return claimed
end
