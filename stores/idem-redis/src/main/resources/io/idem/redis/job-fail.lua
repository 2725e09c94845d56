-- job-fail.lua: JobTransitions.fail as one atomic step of RedisJobStore. RedisScript puts
-- job-lib.lua in front of it.
--
-- KEYS[1] B:j:<id>
-- ARGV[1] B; ARGV[2] now; ARGV[3] the id; ARGV[4] the worker's token; ARGV[5] the error;
-- ARGV[6] the retry time ('' for none)
--
-- Returns the job's fields after (FAILED with run_at = the retry time when one is given and
-- attempts remain, else DEAD), or an empty list (nothing changed) unless the job is RUNNING with
-- the token.

local j = load(ARGV[3])
if not j or j.state ~= RUNNING or j.token ~= ARGV[4] then
  return {}
end
local retry_at = opt(ARGV[6])
local n = copy(j)
if retry_at and tonumber(j.attempt) < tonumber(j.max_attempts) then
  n.state = FAILED
  n.run_at = retry_at
  n.finished_at = nil
else
  n.state = DEAD
  n.finished_at = NOW
end
n.lease_until = nil
n.result = nil
n.last_error = ARGV[5]
n.updated_at = NOW
save(j, n)
return flatten(n)
