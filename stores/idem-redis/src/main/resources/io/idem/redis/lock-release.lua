-- lock-release.lua: LockTransitions.release as one atomic step of RedisLockStore.
--
-- KEYS[1] the lock (a hash)                   {prefix:l:<name>}
-- ARGV[1] the holder's token
-- ARGV[2] now, epoch milliseconds of the store's clock
-- ARGV[3] the new lease_until (now + keepFor; now frees the lock at once)
--
-- Returns 1 when the token holds the lock (stored token equal, lease_until after now) and its
-- lease now ends at ARGV[3]; else 0 and nothing changed. The hash is never deleted, so the lock's
-- next token is still greater than this one.

local lock = KEYS[1]
local held = redis.call('HMGET', lock, 'token', 'lease_until')
if held[1] ~= ARGV[1] or not held[2] or tonumber(held[2]) <= tonumber(ARGV[2]) then
  return 0
end
redis.call('HSET', lock, 'lease_until', ARGV[3])
return 1
