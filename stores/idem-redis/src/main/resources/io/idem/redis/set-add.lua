-- set-add.lua: ProcessedSetStore.add as one atomic step of RedisProcessedSetStore.
--
-- KEYS[1] the set's members (a set)           {prefix:s:<set>}:m
-- KEYS[2] the set's last-modified time        {prefix:s:<set>}:t
-- ARGV[1] the member
-- ARGV[2] now, epoch milliseconds of the store's clock
--
-- Returns 1 when the member was added (and the last-modified time moved to now); 0 when it was
-- there already, and nothing changed.

local added = redis.call('SADD', KEYS[1], ARGV[1])
if added == 1 then
  redis.call('SET', KEYS[2], ARGV[2])
end
return added
