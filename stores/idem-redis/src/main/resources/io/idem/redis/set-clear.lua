-- set-clear.lua: ProcessedSetStore.clear as one atomic step of RedisProcessedSetStore.
--
-- KEYS[1] the set's members (a set)           {prefix:s:<set>}:m
-- KEYS[2] the set's last-modified time        {prefix:s:<set>}:t
--
-- Deletes both keys. Returns how many members the set had.

local count = redis.call('SCARD', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
return count
