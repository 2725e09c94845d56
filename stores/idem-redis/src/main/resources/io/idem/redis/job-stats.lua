-- job-stats.lua: the counters of RedisJobStore, read in one atomic step (a consistent snapshot).
-- RedisScript puts job-lib.lua in front of it.
--
-- KEYS[1] B:n (for routing; every key used shares its hash tag)
-- ARGV[1] B; ARGV[2] now (unused); ARGV[3] how many keys of the duplicates to list
--
-- Returns {by state (code, count, ...), by type ("code:type", count, ...), the top keys of the
-- duplicates (key, minus count, ...: most first, then by key), the duplicates in all}.

local top = tonumber(ARGV[3])
return {
  redis.call('HGETALL', K_N),
  redis.call('HGETALL', K_NT),
  redis.call('ZRANGE', base .. ':dup', 0, top - 1, 'WITHSCORES'),
  tonumber(redis.call('GET', base .. ':dupn') or '0')
}
