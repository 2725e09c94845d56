-- extend.lua: RecordTransitions.extend as one atomic step of RedisIdempotencyStore.
--
-- KEYS[1] the record (a hash)             {prefix:N}:r:<key>
-- KEYS[2] the shard's expiry index (zset) {prefix:N}:exp
-- ARGV[1] the key (the expiry index member)
-- ARGV[2] the holder's token
-- ARGV[3] now, epoch milliseconds of the store's clock
-- ARGV[4] lease_until (now + lease)
-- ARGV[5] grace of the Redis TTL in milliseconds (the TTL is expires_at - now + grace)
--
-- Returns 1 when the record was IN_PROGRESS under the token and its lease now ends at
-- lease_until (expires_at becomes at least lease_until); else 0 and nothing changed.

local record, expiry = KEYS[1], KEYS[2]
local held = redis.call('HMGET', record, 'state', 'token', 'expires_at')
if held[1] ~= 'IN_PROGRESS' or held[2] ~= ARGV[2] then
  return 0
end
local expires = math.max(tonumber(held[3]), tonumber(ARGV[4]))
local expires_at = string.format('%.0f', expires)
redis.call('HSET', record,
  'lease_until', ARGV[4],
  'expires_at', expires_at,
  'updated_at', ARGV[3])
redis.call('PEXPIRE', record, string.format('%.0f', expires - tonumber(ARGV[3]) + tonumber(ARGV[5])))
redis.call('ZADD', expiry, expires_at, ARGV[1])
return 1
