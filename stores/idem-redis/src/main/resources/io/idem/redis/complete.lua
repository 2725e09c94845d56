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
--
-- An IN_PROGRESS record has no retry_after, error_type nor error_message (a claim writes its hash
-- whole), so lease_until is the only field to remove. The expiry index keeps, for every record, a
-- score at or before the time the record may be purged (purge.lua gives a member that is not due
-- yet its right score): the score is moved only when the new expires_at is earlier than the
-- claim's (a TTL shorter than the lease), which saves a ZADD on the usual completion.

local record = KEYS[1]
local held = redis.call('HMGET', record, 'state', 'token', 'expires_at')
if held[1] ~= 'IN_PROGRESS' or held[2] ~= ARGV[2] then
  return 0
end
redis.call('HDEL', record, 'lease_until')
redis.call('HSET', record,
  'state', 'COMPLETED',
  'expires_at', ARGV[4],
  'result_type', ARGV[5],
  'result', ARGV[6],
  'updated_at', ARGV[3])
redis.call('PEXPIRE', record, ARGV[7])
if tonumber(ARGV[4]) < tonumber(held[3]) then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
end
return 1
