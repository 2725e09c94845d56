-- job-purge.lua: one batch of JobStore.purge as one atomic step of RedisJobStore. RedisScript
-- puts job-lib.lua in front of it.
--
-- KEYS[1] B:fin (for routing; every key used shares its hash tag)
-- ARGV[1] B; ARGV[2] now; ARGV[3] the cutoff (epoch ms): final jobs that finished before it go;
-- ARGV[4] the most jobs to delete
--
-- Returns {deleted, more}: more is 1 when the batch was full. A deleted job leaves every index,
-- its counters, its unique key's id set, and the key's holder string when it held the key.

local cutoff, batch = tonumber(ARGV[3]), tonumber(ARGV[4])
local ids = redis.call('ZRANGEBYSCORE', K_FIN, '-inf', '(' .. ARGV[3], 'LIMIT', 0, batch)
local deleted = 0
for _, id in ipairs(ids) do
  local j = load(id)
  redis.call('ZREM', K_FIN, id)
  if j and is_final(j.state) and j.finished_at and tonumber(j.finished_at) < cutoff then
    redis.call('DEL', job_key(id))
    redis.call('ZREM', K_CREATED, id)
    count(j, -1)
    follow_holder(j, nil)
    if j.unique_key then
      redis.call('SREM', base .. ':k:' .. j.unique_key, id)
    end
    deleted = deleted + 1
  elseif j then
    index(j)
  end
end
local more = 0
if #ids >= batch then
  more = 1
end
return {deleted, more}
