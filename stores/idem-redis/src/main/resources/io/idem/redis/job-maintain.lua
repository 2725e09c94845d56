-- job-maintain.lua: one batch of JobStore.maintain as one atomic step of RedisJobStore
-- (JobTransitions.maintain for each job it finds; a job changes at most once per batch).
-- RedisScript puts job-lib.lua in front of it.
--
-- KEYS[1] B:run (for routing; every key used shares its hash tag)
-- ARGV[1] B; ARGV[2] now; ARGV[3] the most jobs per index looked at; ARGV[4] the store's id
--
-- Returns {recovered, dead, expired, promoted, more}: more is 1 when an index had more due jobs
-- than the batch. PUBLISHes on B:wake when a job was recovered or promoted.

local batch = tonumber(ARGV[3])
local recovered, dead, expired, promoted, more = 0, 0, 0, 0, 0

local function due(index)
  local ids = redis.call('ZRANGEBYSCORE', index, '-inf', NOW, 'LIMIT', 0, batch)
  if #ids >= batch then
    more = 1
  end
  return ids
end

-- 1. waiting jobs past their expiry become EXPIRED
for _, id in ipairs(due(K_EXP)) do
  local j = load(id)
  if j and is_waiting(j.state) and j.expires_at and tonumber(j.expires_at) <= now then
    save(j, with_state(j, EXPIRED))
    expired = expired + 1
  else
    redis.call('ZREM', K_EXP, id)
  end
end

-- 2. SCHEDULED and FAILED jobs whose run time came become QUEUED (those a claim already put in
-- their ready set, then the others)
for _, index in ipairs({K_LAZY, K_SCHED}) do
  for _, id in ipairs(due(index)) do
    local j = load(id)
    if j and (j.state == SCHEDULED or j.state == FAILED) then
      if tonumber(j.run_at) <= now then
        save(j, with_state(j, QUEUED))
        promoted = promoted + 1
      end
    else
      redis.call('ZREM', index, id)
    end
  end
end

-- 3. RUNNING jobs whose lease passed go back to QUEUED, or to DEAD with their attempts used up
for _, id in ipairs(due(K_RUN)) do
  local j = load(id)
  if j and j.state == RUNNING then
    if j.lease_until and tonumber(j.lease_until) <= now then
      local n = copy(j)
      if tonumber(j.attempt) >= tonumber(j.max_attempts) then
        n.state = DEAD
        n.finished_at = NOW
        dead = dead + 1
      else
        n.state = QUEUED
        n.run_at = NOW
        n.finished_at = nil
        recovered = recovered + 1
      end
      n.lease_until = nil
      n.result = nil
      n.last_error = lease_expired_error(j)
      n.updated_at = NOW
      save(j, n)
    end
  else
    redis.call('ZREM', K_RUN, id)
  end
end

if recovered + promoted > 0 then
  wake(ARGV[4])
end
return {recovered, dead, expired, promoted, more}
