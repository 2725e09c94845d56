-- job-heartbeat.lua: JobTransitions.heartbeat as one atomic step of RedisJobStore. RedisScript
-- puts job-lib.lua in front of it.
--
-- KEYS[1] B:j:<id>
-- ARGV[1] B; ARGV[2] now; ARGV[3] the id; ARGV[4] the worker's token; ARGV[5] the new lease_until
--
-- Returns 1 when the job is RUNNING with the token and its lease now ends at ARGV[5]; else 0 and
-- nothing changed.

local id, token, lease_until = ARGV[3], ARGV[4], ARGV[5]
local k = job_key(id)
local f = redis.call('HMGET', k, 'state', 'token')
if f[1] ~= RUNNING or f[2] ~= token then
  return 0
end
redis.call('HSET', k, 'lease_until', lease_until, 'updated_at', NOW)
redis.call('ZADD', K_RUN, lease_until, id)
return 1
