-- job-cancel.lua: JobTransitions.cancel as one atomic step of RedisJobStore. RedisScript puts
-- job-lib.lua in front of it.
--
-- KEYS[1] B:j:<id>
-- ARGV[1] B; ARGV[2] now; ARGV[3] the id
--
-- Returns the job's fields after (CANCELLED, or a final job unchanged); an empty list when there
-- is no such job.

local j = load(ARGV[3])
if not j then
  return {}
end
if is_final(j.state) then
  return flatten(j)
end
local n = copy(j)
n.state = CANCELLED
n.lease_until = nil
n.result = nil
n.updated_at = NOW
n.finished_at = NOW
save(j, n)
return flatten(n)
