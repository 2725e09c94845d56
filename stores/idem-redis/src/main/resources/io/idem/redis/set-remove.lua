-- set-remove.lua: ProcessedSetStore.remove as one atomic step of RedisProcessedSetStore.
--
-- KEYS[1] the set's members (a set)           {prefix:s:<set>}:m
-- KEYS[2] the set's last-modified time        {prefix:s:<set>}:t
-- ARGV[1] the member
-- ARGV[2] now, epoch milliseconds of the store's clock
--
-- Returns 1 when the member was removed (and the last-modified time moved to now); 0 when it was
-- not there, and nothing changed. Removing the last member makes Redis drop KEYS[1]; the
-- last-modified time stays, as the set still changed then (only clear forgets it).

local removed = redis.call('SREM', KEYS[1], ARGV[1])
if removed == 1 then
  redis.call('SET', KEYS[2], ARGV[2])
end
return removed
