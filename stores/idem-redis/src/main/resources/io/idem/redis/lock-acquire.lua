-- lock-acquire.lua: LockTransitions.acquire as one atomic step of RedisLockStore.
--
-- KEYS[1] the lock (a hash)                   {prefix:l:<name>}
--         fields: owner, token, acquired_at, lease_until (epoch milliseconds of the store's clock)
-- ARGV[1] the owner
-- ARGV[2] now, epoch milliseconds of the store's clock
-- ARGV[3] lease_until of a new holding (now + lease)
--
-- Returns the new token (a string) when the lock was free and is now the caller's, holding ARGV;
-- else {0, owner, token, acquired_at, lease_until} of the current holder, and nothing changed.
-- The lock is free when the hash is absent or its lease_until is not after now. The new token is
-- the stored token + 1 (1 for a new hash), exact over the 64-bit range, and the hash keeps it after
-- release.

local lock = KEYS[1]
local held = redis.call('HMGET', lock, 'owner', 'token', 'acquired_at', 'lease_until')
if held[4] and tonumber(held[4]) > tonumber(ARGV[2]) then
  return {0, held[1], held[2], held[3], held[4]}
end
local last = tonumber(held[2] or '0')
if last < 9007199254740991 then
  -- exact as a Lua number (a double): one HSET writes the whole holding
  local token = string.format('%.0f', last + 1)
  redis.call('HSET', lock, 'token', token, 'owner', ARGV[1], 'acquired_at', ARGV[2],
    'lease_until', ARGV[3])
  return token
end
-- from 2^53 - 1 on, a double is no longer exact: HINCRBY counts in 64-bit integers
redis.call('HINCRBY', lock, 'token', 1)
redis.call('HSET', lock, 'owner', ARGV[1], 'acquired_at', ARGV[2], 'lease_until', ARGV[3])
return redis.call('HGET', lock, 'token')
