-- job-retry.lua: JobTransitions.retry, with the unique-key check, as one atomic step of
-- RedisJobStore. RedisScript puts job-lib.lua in front of it.
--
-- KEYS[1] B:j:<id>
-- ARGV[1] B; ARGV[2] now; ARGV[3] the id; ARGV[4] the store's id
--
-- Returns {'OK', job fields after} (QUEUED, due now, an attempt left, no expiry) and PUBLISHes on
-- B:wake; {'MISSING'} when there is no such job; {'STATE', job fields} when the job is not DEAD,
-- CANCELLED, EXPIRED or FAILED; {'CONFLICT', job fields, holder fields} when another job holds
-- its unique key. Nothing changes unless 'OK'.

local id = ARGV[3]
local j = load(id)
if not j then
  return {'MISSING'}
end
if not (j.state == DEAD or j.state == CANCELLED or j.state == EXPIRED or j.state == FAILED) then
  return {'STATE', flatten(j)}
end
local n = copy(j)
n.state = QUEUED
n.max_attempts = decimal(math.max(tonumber(j.max_attempts), tonumber(j.attempt) + 1))
n.run_at = NOW
n.expires_at = nil
n.lease_until = nil
n.result = nil
n.updated_at = NOW
n.finished_at = nil
if holds(n) then
  local h = holder_of(n.unique_key)
  if h and h.id ~= id then
    return {'CONFLICT', flatten(j), flatten(h)}
  end
end
save(j, n)
wake(ARGV[4])
return {'OK', flatten(n)}
