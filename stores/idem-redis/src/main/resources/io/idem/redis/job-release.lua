-- job-release.lua: JobTransitions.release as one atomic step of RedisJobStore. RedisScript puts
-- job-lib.lua in front of it.
--
-- KEYS[1] B:j:<id>
-- ARGV[1] B; ARGV[2] now; ARGV[3] the id; ARGV[4] the worker's token; ARGV[5] the store's id
--
-- Returns the QUEUED job's fields (due now, its attempt given back) and PUBLISHes on B:wake, or
-- returns an empty list (nothing changed) unless the job is RUNNING with the token.

local j = load(ARGV[3])
if not j or j.state ~= RUNNING or j.token ~= ARGV[4] then
  return {}
end
local n = copy(j)
n.state = QUEUED
n.attempt = decimal(math.max(0, tonumber(j.attempt) - 1))
n.run_at = NOW
n.lease_until = nil
n.result = nil
n.updated_at = NOW
n.finished_at = nil
save(j, n)
wake(ARGV[5])
return flatten(n)
