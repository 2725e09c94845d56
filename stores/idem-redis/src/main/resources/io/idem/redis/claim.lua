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
-- Returns {status, field, value, field, value, ...}: status is CLAIMED with the new record, or
-- COMPLETED, CACHED_FAILURE, IN_PROGRESS, MISMATCH or EXHAUSTED with the record in the way, which
-- is left unchanged.

local record, seq, expiry = KEYS[1], KEYS[2], KEYS[3]
local now = tonumber(ARGV[3])

local function decimal(n)
  return string.format('%.0f', n)
end

local fields = redis.call('HGETALL', record)
local r = {}
for i = 1, #fields, 2 do
  r[fields[i]] = fields[i + 1]
end

local function answer(status, flat)
  local out = {status}
  for i = 1, #flat do
    out[i + 1] = flat[i]
  end
  return out
end

-- IdempotencyRecord.isLeaseOverAt
local function lease_over()
  return r.state == 'IN_PROGRESS' and r.lease_until ~= nil and now >= tonumber(r.lease_until)
end

-- IdempotencyRecord.isExpiredAt
local function expired()
  return now >= tonumber(r.expires_at) and (r.state ~= 'IN_PROGRESS' or lease_over())
end

-- IdempotencyRecord.isRetryableAt
local function retryable()
  return r.state == 'FAILED' and (r.retry_after == nil or now >= tonumber(r.retry_after))
end

-- Writes the caller's IN_PROGRESS record. The token is max(next of the sequence, floor); the
-- sequence is raised to it, so that tokens of the shard keep growing.
local function claim(floor, attempt, created_at)
  local token = redis.call('INCR', seq)
  if token < floor then
    token = floor
    redis.call('SET', seq, decimal(token))
  end
  local flat = {
    'state', 'IN_PROGRESS',
    'fingerprint', ARGV[2],
    'token', decimal(token),
    'attempt', decimal(attempt),
    'lease_until', ARGV[4],
    'expires_at', ARGV[5],
    'created_at', created_at,
    'updated_at', ARGV[3]
  }
  redis.call('DEL', record)
  redis.call('HSET', record, unpack(flat))
  redis.call('PEXPIRE', record, ARGV[7])
  redis.call('ZADD', expiry, ARGV[5], ARGV[1])
  return answer('CLAIMED', flat)
end

-- A takeover or a claim after a release: the next attempt of the same record, if one is left.
local function reclaim()
  if tonumber(r.attempt) >= tonumber(ARGV[6]) then
    return answer('EXHAUSTED', fields)
  end
  return claim(tonumber(r.token) + 1, tonumber(r.attempt) + 1, r.created_at)
end

if r.state == nil then
  return claim(1, 1, ARGV[3])
end
if expired() then
  return claim(tonumber(r.token) + 1, 1, ARGV[3])
end
if retryable() then
  return reclaim()
end
if r.fingerprint ~= ARGV[2] then
  return answer('MISMATCH', fields)
end
if r.state == 'COMPLETED' then
  return answer('COMPLETED', fields)
end
if r.state == 'FAILED' then
  return answer('CACHED_FAILURE', fields)
end
if lease_over() then
  return reclaim()
end
return answer('IN_PROGRESS', fields)
