-- purge.lua: deletes up to a limit of one shard's expired records, as one atomic step of
-- RedisIdempotencyStore.
--
-- KEYS[1] the shard's expiry index (zset) {prefix:N}:exp  member: key, score: expires_at
-- ARGV[1] now, epoch milliseconds of the store's clock
-- ARGV[2] the most records to delete
-- ARGV[3] the shard's record key prefix   {prefix:N}:r:
--
-- The records are named from the index's members (ARGV[3] .. member), so they are not in KEYS;
-- they share the index's hash tag and so its cluster slot. Each candidate's fields are checked
-- again (IdempotencyRecord.isExpiredAt): a record that is not expired gets its right score back
-- and is kept. Members whose record is already gone (Redis's own TTL, the safety net, removed it)
-- are dropped without being counted. At most limit + 1000 members are looked at per call, which
-- bounds the time the script holds the server.
--
-- Returns how many records were deleted.

local expiry, prefix = KEYS[1], ARGV[3]
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local budget = limit + 1000
local deleted = 0

while deleted < limit and budget > 0 do
  local due = redis.call('ZRANGEBYSCORE', expiry, '-inf', ARGV[1], 'LIMIT', 0,
    math.min(limit - deleted, budget))
  if #due == 0 then
    break
  end
  for _, key in ipairs(due) do
    budget = budget - 1
    local record = prefix .. key
    local f = redis.call('HMGET', record, 'state', 'lease_until', 'expires_at')
    if not f[1] then
      redis.call('ZREM', expiry, key)
    else
      -- when the record counts as expired: at expires_at, and for a claim also after its lease
      local at = tonumber(f[3])
      if f[1] == 'IN_PROGRESS' then
        if f[2] then
          at = math.max(at, tonumber(f[2]))
        else
          at = nil
        end
      end
      if at == nil then
        redis.call('ZADD', expiry, '+inf', key)
      elseif now >= at then
        redis.call('DEL', record)
        redis.call('ZREM', expiry, key)
        deleted = deleted + 1
      else
        redis.call('ZADD', expiry, string.format('%.0f', at), key)
      end
    end
  end
end
return deleted
