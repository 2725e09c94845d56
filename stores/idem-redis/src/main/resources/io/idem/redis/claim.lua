-- claim.lua: RecordTransitions.claim as one atomic step of RedisIdempotencyStore.
--
-- KEYS[1] the record (a hash)             {prefix:N}:r:<key>
-- KEYS[2] the shard's token sequence      {prefix:N}:seq
-- KEYS[3] the shard's expiry index (zset) {prefix:N}:exp
-- ARGV[1] the key (the expiry index member)
-- ARGV[2] the payload fingerprint
-- ARGV[3] now, epoch milliseconds of the store's clock
-- ARGV[4] lease_until of a new claim (now + lease)
-- ARGV[5] expires_at of a new claim (now + max(ttl, lease))
-- ARGV[6] max attempts
-- ARGV[7] Redis TTL of a new claim in milliseconds (expires_at - now + grace): a safety net only
--
-- Returns, shortest first (the caller knows every other field of a claim it made):
--   token                          CLAIMED, attempt 1, created_at now: the key had no record, or
--                                  an expired one;
--   {token, attempt, created_at}   CLAIMED: a takeover, or a claim after a release or a failure;
--   {state, fingerprint, token, attempt, lease_until, expires_at, retry_after, result_type,
--    result, error_type, error_message, created_at, updated_at, status}
--                                  the record in the way, which is left unchanged (nil for an
--                                  absent field), and the status: COMPLETED, CACHED_FAILURE,
--                                  IN_PROGRESS, MISMATCH or EXHAUSTED.
-- Tokens are integers, exact up to 2^53.
--
-- Written for the common cases: a first claim is one HMGET that finds nothing, INCR, HSET,
-- PEXPIRE and ZADD, with no Lua function or table made; a duplicate is one HMGET whose reply is
-- returned as it is, field names left out.

local record = KEYS[1]
local v = redis.call('HMGET', record, 'state', 'fingerprint', 'token', 'attempt', 'lease_until',
  'expires_at', 'retry_after', 'result_type', 'result', 'error_type', 'error_message',
  'created_at', 'updated_at')
local state = v[1]

if not state then
  for i = 2, 13 do
    if v[i] then
      redis.call('DEL', record) -- a hash without a state is no record: replace it whole
      break
    end
  end
  local token = redis.call('INCR', KEYS[2])
  redis.call('HSET', record,
    'state', 'IN_PROGRESS',
    'fingerprint', ARGV[2],
    'token', string.format('%.0f', token),
    'attempt', '1',
    'lease_until', ARGV[4],
    'expires_at', ARGV[5],
    'created_at', ARGV[3],
    'updated_at', ARGV[3])
  redis.call('PEXPIRE', record, ARGV[7])
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
  return token
end

local now = tonumber(ARGV[3])
-- IdempotencyRecord.isLeaseOverAt
local lease_over = state == 'IN_PROGRESS' and v[5] and now >= tonumber(v[5])
local floor, attempt, created_at
if now >= tonumber(v[6]) and (state ~= 'IN_PROGRESS' or lease_over) then
  -- IdempotencyRecord.isExpiredAt: a new record's life, after the old record's token
  floor, attempt, created_at = tonumber(v[3]) + 1, 1, ARGV[3]
elseif (state == 'FAILED' and (not v[7] or now >= tonumber(v[7])))
    or (lease_over and v[2] == ARGV[2]) then
  -- IdempotencyRecord.isRetryableAt (any payload), or a takeover (the same payload only): the
  -- next attempt of the same record, if one is left
  if tonumber(v[4]) >= tonumber(ARGV[6]) then
    v[14] = 'EXHAUSTED'
    return v
  end
  floor, attempt, created_at = tonumber(v[3]) + 1, tonumber(v[4]) + 1, v[12]
else
  if v[2] ~= ARGV[2] then
    v[14] = 'MISMATCH'
  elseif state == 'COMPLETED' then
    v[14] = 'COMPLETED'
  elseif state == 'FAILED' then
    v[14] = 'CACHED_FAILURE'
  else
    v[14] = 'IN_PROGRESS'
  end
  return v
end

-- The token is max(next of the sequence, floor); the sequence is raised to it, so that tokens of
-- the shard keep growing.
local token = redis.call('INCR', KEYS[2])
if token < floor then
  token = floor
  redis.call('SET', KEYS[2], string.format('%.0f', token))
end
redis.call('DEL', record)
redis.call('HSET', record,
  'state', 'IN_PROGRESS',
  'fingerprint', ARGV[2],
  'token', string.format('%.0f', token),
  'attempt', string.format('%.0f', attempt),
  'lease_until', ARGV[4],
  'expires_at', ARGV[5],
  'created_at', created_at,
  'updated_at', ARGV[3])
redis.call('PEXPIRE', record, ARGV[7])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
if attempt == 1 then
  return token
end
return {token, attempt, created_at}
