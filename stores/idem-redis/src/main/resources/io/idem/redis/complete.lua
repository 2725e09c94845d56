-- complete.lua: RecordTransitions.complete as one atomic step of RedisIdempotencyStore.
--
-- KEYS[1] the record (a hash)             {prefix:N}:r:<key>
-- KEYS[2] the shard's expiry index (zset) {prefix:N}:exp
-- ARGV[1] the key (the expiry index member)
-- ARGV[2] the holder's token
-- ARGV[3] now, epoch milliseconds of the store's clock
-- ARGV[4] expires_at (now + ttl)
-- ARGV[5] result_type
-- ARGV[6] result
-- ARGV[7] Redis TTL in milliseconds (ttl + grace): a safety net only
--
-- Returns 1 when the record was IN_PROGRESS under the token and is now COMPLETED; else 0 and
-- nothing changed.

local record, expiry = KEYS[1], KEYS[2]
local held = redis.call('HMGET', record, 'state', 'token')
if held[1] ~= 'IN_PROGRESS' or held[2] ~= ARGV[2] then
  return 0
end
redis.call('HDEL', record, 'lease_until', 'retry_after', 'error_type', 'error_message')
redis.call('HSET', record,
  'state', 'COMPLETED',
  'expires_at', ARGV[4],
  'result_type', ARGV[5],
  'result', ARGV[6],
  'updated_at', ARGV[3])
redis.call('PEXPIRE', record, ARGV[7])
redis.call('ZADD', expiry, ARGV[4], ARGV[1])
return 1
