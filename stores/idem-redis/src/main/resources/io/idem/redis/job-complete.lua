-- job-complete.lua: JobTransitions.complete as one atomic step of RedisJobStore. RedisScript
-- puts job-lib.lua in front of it.
--
-- KEYS[1] B:j:<id>
-- ARGV[1] B; ARGV[2] now; ARGV[3] the id; ARGV[4] the worker's token; ARGV[5] 1 with a result,
-- 0 for none; ARGV[6] the result
--
-- Returns the SUCCEEDED job's fields, or an empty list (nothing changed) unless the job is
-- RUNNING with the token.

local j = load(ARGV[3])
if not j or j.state ~= RUNNING or j.token ~= ARGV[4] then
  return {}
end
local n = copy(j)
n.state = SUCCEEDED
n.lease_until = nil
if ARGV[5] == '1' then
  n.result = ARGV[6]
else
  n.result = nil
end
n.updated_at = NOW
n.finished_at = NOW
save(j, n)
return flatten(n)
