-- fail.lua: RecordTransitions.fail as one atomic step of RedisIdempotencyStore.
--
-- KEYS[1] the record (a hash)             {prefix:N}:r:<key>
-- KEYS[2] the shard's expiry index (zset) {prefix:N}:exp
-- ARGV[1] the key (the expiry index member)
-- ARGV[2] the holder's token
-- ARGV[3] now, epoch milliseconds of the store's clock
-- ARGV[4] expires_at (now + max(ttl, retryAfter))
-- ARGV[5] retry_after (now + retryAfter)
-- ARGV[6] Redis TTL in milliseconds (max(ttl, retryAfter) + grace): a safety net only
-- ARGV[7] '1' when there is an error, else '0' (a plain release)
-- ARGV[8] error_type
-- ARGV[9] '1' when the error has a message, else '0'
-- ARGV[10] error_message
--
-- Returns 1 when the record was IN_PROGRESS under the token and is now FAILED; else 0 and nothing
-- changed.

local record, expiry = KEYS[1], KEYS[2]
local held = redis.call('HMGET', record, 'state', 'token')
if held[1] ~= 'IN_PROGRESS' or held[2] ~= ARGV[2] then
  return 0
end
redis.call('HDEL', record, 'lease_until', 'result_type', 'result', 'error_type', 'error_message')
redis.call('HSET', record,
  'state', 'FAILED',
  'expires_at', ARGV[4],
  'retry_after', ARGV[5],
  'updated_at', ARGV[3])
if ARGV[7] == '1' then
  redis.call('HSET', record, 'error_type', ARGV[8])
  if ARGV[9] == '1' then
    redis.call('HSET', record, 'error_message', ARGV[10])
  end
end
redis.call('PEXPIRE', record, ARGV[6])
redis.call('ZADD', expiry, ARGV[4], ARGV[1])
return 1
