-- job-enqueue.lua: enqueues a batch of jobs in order, as one atomic step of RedisJobStore
-- (JobTransitions.enqueue for each; a later job of the batch meets the earlier ones like any
-- stored job). RedisScript puts job-lib.lua in front of it.
--
-- KEYS[1] B:created (for routing; every key used shares its hash tag)
-- ARGV[1] B, the base "{prefix:jobs}"; ARGV[2] now; ARGV[3] the store's id (the wake message);
-- ARGV[4] how many jobs; then 13 values per job: id, type, queue, priority, args, run_at,
-- expires_at ('' for none), timeout (ISO-8601 duration, '' for none), max_attempts, unique_key
-- ('' for none), unique_mask, on_conflict (REJECT, REPLACE or IGNORE), ord (the id as hex UTF-16)
--
-- Returns one {outcome, job fields, pending} per job: ENQUEUED with the new job, REPLACED with the
-- rewritten one, IGNORED or REJECTED with the existing one; pending ({running, scheduled, queued}
-- of the existing job's unique key) only for REJECTED with a unique existing job. PUBLISHes once
-- on B:wake when a job became due now.

local origin = ARGV[3]
local count_jobs = tonumber(ARGV[4])
local answers = {}
local due = false

for i = 0, count_jobs - 1 do
  local a = 4 + i * 13
  local id, run_at, ukey = ARGV[a + 1], ARGV[a + 6], opt(ARGV[a + 10])
  local policy = ARGV[a + 12]
  local state = QUEUED
  if tonumber(run_at) > now then
    state = SCHEDULED
  end

  -- 1. the job with the id; else the holder of the unique key
  local existing = load(id)
  if not existing and ukey then
    existing = holder_of(ukey)
  end

  if not existing then
    -- 2. none: store the new job (JobTransitions.create)
    local j = {
      id = id, type = ARGV[a + 2], queue = ARGV[a + 3], priority = ARGV[a + 4],
      args = ARGV[a + 5], state = state, attempt = '0', max_attempts = ARGV[a + 9], token = '0',
      run_at = run_at, expires_at = opt(ARGV[a + 7]), timeout = opt(ARGV[a + 8]),
      unique_key = ukey, unique_mask = ARGV[a + 11], created_at = NOW, updated_at = NOW,
      ord = ARGV[a + 13]
    }
    save(nil, j)
    redis.call('ZADD', K_CREATED, NOW, id)
    if ukey then
      redis.call('SADD', base .. ':k:' .. ukey, id)
    end
    due = due or state == QUEUED
    answers[#answers + 1] = {'ENQUEUED', flatten(j)}
  else
    -- 3. a conflict: one duplicate prevented for the existing job's key (its id when none)
    redis.call('ZINCRBY', base .. ':dup', -1, existing.unique_key or existing.id)
    redis.call('INCR', base .. ':dupn')
    if policy == 'IGNORE' then
      answers[#answers + 1] = {'IGNORED', flatten(existing)}
    elseif policy == 'REPLACE' and is_waiting(existing.state) then
      -- 4. JobTransitions.replace: new args, priority, run time, expiry and timeout
      local j = copy(existing)
      j.priority = ARGV[a + 4]
      j.args = ARGV[a + 5]
      j.run_at = run_at
      j.expires_at = opt(ARGV[a + 7])
      j.timeout = opt(ARGV[a + 8])
      j.state = state
      j.lease_until = nil
      j.result = nil
      j.updated_at = NOW
      j.finished_at = nil
      save(existing, j)
      due = due or state == QUEUED
      answers[#answers + 1] = {'REPLACED', flatten(j)}
    else
      -- 5. rejected, with what is pending for the existing job's key
      local pending = false
      if existing.unique_key then
        pending = pending_of(existing.unique_key)
      end
      answers[#answers + 1] = {'REJECTED', flatten(existing), pending}
    end
  end
end

if due then
  wake(origin)
end
return answers
