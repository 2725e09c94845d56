-- job-claim.lua: JobStore.claim as one atomic step of RedisJobStore (JobTransitions.isClaimable
-- and claim for each job taken, in JobTransitions.CLAIM_ORDER). RedisScript puts job-lib.lua in
-- front of it.
--
-- KEYS[1] B:sched (for routing; every key used shares its hash tag)
-- ARGV[1] B; ARGV[2] now; ARGV[3] lease_until of the claims (now + lease); ARGV[4] the worker;
-- ARGV[5] the most jobs to take; ARGV[6] how many queues, then the queues; then how many types
-- (0 for any), then the types; then the most scheduled jobs to make ready
--
-- Returns the claimed jobs' fields, in claim order.

local lease_until, worker, limit = ARGV[3], ARGV[4], tonumber(ARGV[5])
local nq = tonumber(ARGV[6])
local nt = tonumber(ARGV[7 + nq])

-- 1. SCHEDULED and FAILED jobs whose run time came go to their ready sets (and to B:lazy: their
-- state stays until maintenance promotes them, as with every store); at most ARGV[8 + nq + nt]
-- per claim, earliest first, so that a burst of due jobs cannot hold the server for long
local due = redis.call('ZRANGEBYSCORE', K_SCHED, '-inf', NOW, 'LIMIT', 0, ARGV[8 + nq + nt])
for _, id in ipairs(due) do
  redis.call('ZREM', K_SCHED, id)
  local f = redis.call('HMGET', job_key(id), 'queue', 'type', 'priority', 'run_at', 'created_at',
    'ord')
  if f[1] then
    local j = {id = id, queue = f[1], type = f[2], priority = f[3], run_at = f[4],
      created_at = f[5], ord = f[6]}
    make_ready(j)
    redis.call('ZADD', K_LAZY, j.run_at, id)
  end
end

-- 2. the ready sets to take from: each queue with each type (every type of the queue if none)
local sets, seen = {}, {}
for q = 1, nq do
  local queue = ARGV[6 + q]
  local types
  if nt == 0 then
    types = redis.call('SMEMBERS', base .. ':qt:' .. queue)
  else
    types = {}
    for t = 1, nt do
      types[t] = ARGV[7 + nq + t]
    end
  end
  for _, type in ipairs(types) do
    local key = ready_key(queue, type)
    if not seen[key] then
      seen[key] = true
      sets[#sets + 1] = {key = key, queue = queue, type = type}
    end
  end
end

local function head(s)
  s.head = redis.call('ZRANGE', s.key, 0, 0)[1]
  if not s.head then
    redis.call('SREM', base .. ':qt:' .. s.queue, s.type)
  end
end
for _, s in ipairs(sets) do
  head(s)
end

-- 3. take the least head of all the sets until the limit: a claimable job becomes RUNNING; an
-- expired one leaves the ready set (maintenance marks it EXPIRED); one not due yet (the clock went
-- back) is put back afterwards
local out, later = {}, {}
while #out < limit do
  local best = nil
  for _, s in ipairs(sets) do
    if s.head and (best == nil or less(s.head, best.head)) then
      best = s
    end
  end
  if not best then
    break
  end
  local member = best.head
  redis.call('ZREM', best.key, member)
  head(best)
  local j = load(member_id(member))
  if j and is_waiting(j.state) then
    if j.expires_at and tonumber(j.expires_at) <= now then
      -- expired: left to maintenance, which finds it in B:exp
    elseif tonumber(j.run_at) > now then
      later[#later + 1] = j
    else
      -- 4. JobTransitions.claim
      local n = copy(j)
      n.state = RUNNING
      n.attempt = decimal(tonumber(j.attempt) + 1)
      n.token = decimal(tonumber(j.token) + 1)
      n.lease_until = lease_until
      n.worker_id = worker
      n.result = nil
      n.updated_at = NOW
      n.finished_at = nil
      save(j, n)
      out[#out + 1] = flatten(n)
    end
  end
end
for _, j in ipairs(later) do
  make_ready(j)
end
return out
