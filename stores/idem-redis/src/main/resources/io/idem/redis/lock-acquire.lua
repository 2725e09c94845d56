-- lock-acquire.lua: LockTransitions.acquire as one atomic step of RedisLockStore.
--
-- KEYS[1] the lock (a hash)                   {prefix:l:<name>}
--         fields: owner, token, acquired_at, lease_until (epoch milliseconds of the store's clock)
-- ARGV[1] the owner
-- ARGV[2] now, epoch milliseconds of the store's clock
-- ARGV[3] lease_until of a new holding (now + lease)
--
-- Returns {acquired, owner, token, acquired_at, lease_until}: acquired is 1 with the new holding,
-- or 0 with the current holder's, and nothing changed. The lock is free when the hash is absent
-- or its lease_until is not after now. The new token is the stored token + 1 (1 for a new hash),
-- by HINCRBY (exact over the 64-bit range), and the hash keeps it after release.

local lock = KEYS[1]
local held = redis.call('HMGET', lock, 'owner', 'token', 'acquired_at', 'lease_until')
if held[4] and tonumber(held[4]) > tonumber(ARGV[2]) then
  return {0, held[1], held[2], held[3], held[4]}
end
redis.call('HINCRBY', lock, 'token', 1)
redis.call('HSET', lock, 'owner', ARGV[1], 'acquired_at', ARGV[2], 'lease_until', ARGV[3])
-- read back as text: a Lua number is a double, exact only up to 2^53
local token = redis.call('HGET', lock, 'token')
return {1, ARGV[1], token, ARGV[2], ARGV[3]}
