-- job-lib.lua: the functions every job-*.lua script of RedisJobStore shares. RedisScript puts this
-- text in front of each job script, so that each step is still one script (one EVALSHA, atomic).
--
-- Every job script gets ARGV[1] = the store's key base "{prefix:jobs}" (one hash tag: all the
-- keys below are in its cluster slot) and ARGV[2] = now, epoch milliseconds of the store's clock.
-- Keys (B = the base):
--   B:j:<id>        hash: a job (fields in FIELDS; an absent field is a null; times in epoch ms)
--   B:u:<key>       string: the id of the job that holds unique key <key> (absent when none)
--   B:k:<key>       set: the ids of every stored job with unique key <key>
--   B:kc:<key>      hash: state code -> how many jobs with unique key <key> are in that state
--   B:r:<n>:<queue>:<type> zset: the ready jobs of a queue and type (n = byte length of queue),
--                   every score 0, members ordered bytewise = the claim order (ready_member)
--   B:qt:<queue>    set: the types of <queue> that may have ready jobs
--   B:sched         zset: id by run_at: SCHEDULED and FAILED jobs not yet in a ready set
--   B:lazy          zset: id by run_at: SCHEDULED and FAILED jobs that a claim already put in
--                   their ready set (their state changes only when maintenance promotes them)
--   B:exp           zset: id by expires_at: waiting jobs with an expiry
--   B:run           zset: id by lease_until: RUNNING jobs
--   B:fin           zset: id by finished_at: final jobs, for purge
--   B:created       zset: id by created_at: every job, for listing
--   B:n             hash: state code -> jobs in that state
--   B:nt            hash: "<state code>:<type>" -> jobs of that type in that state (no zeros)
--   B:dup           zset: key (or id) -> minus the duplicates it prevented
--   B:dupn          string: the duplicates prevented in all
--   channel B:wake  PUBLISHed (with the publishing store's id) when a job became due

local base = ARGV[1]
local NOW = ARGV[2]
local now = tonumber(NOW)

local SCHEDULED, QUEUED, RUNNING, SUCCEEDED = '0', '1', '2', '3'
local FAILED, DEAD, CANCELLED, EXPIRED = '4', '5', '6', '7'

-- the fields of a job, in the order a job is answered in
local FIELDS = {
  'id', 'type', 'queue', 'priority', 'args', 'state', 'attempt', 'max_attempts', 'token',
  'run_at', 'expires_at', 'timeout', 'lease_until', 'worker_id', 'unique_key', 'unique_mask',
  'result', 'last_error', 'created_at', 'updated_at', 'finished_at', 'ord'
}

local K_SCHED, K_LAZY, K_EXP = base .. ':sched', base .. ':lazy', base .. ':exp'
local K_RUN, K_FIN, K_CREATED = base .. ':run', base .. ':fin', base .. ':created'
local K_N, K_NT = base .. ':n', base .. ':nt'

local function job_key(id)
  return base .. ':j:' .. id
end

local function decimal(n)
  return string.format('%.0f', n)
end

-- '' (how Java passes a null) as nil
local function opt(v)
  if v == '' then
    return nil
  end
  return v
end

local function load(id)
  local flat = redis.call('HGETALL', job_key(id))
  if #flat == 0 then
    return nil
  end
  local j = {}
  for i = 1, #flat, 2 do
    j[flat[i]] = flat[i + 1]
  end
  return j
end

local function copy(j)
  local c = {}
  for k, v in pairs(j) do
    c[k] = v
  end
  return c
end

local function flatten(j)
  local out = {}
  for _, f in ipairs(FIELDS) do
    local v = j[f]
    if v then
      out[#out + 1] = f
      out[#out + 1] = v
    end
  end
  return out
end

local function is_waiting(s)
  return s == SCHEDULED or s == QUEUED or s == FAILED
end

local function is_final(s)
  return s == SUCCEEDED or s == DEAD or s == CANCELLED or s == EXPIRED
end

-- Job.holdsUniqueKey: unique, and its state is in its unique states
local function holds(j)
  if not j.unique_key then
    return false
  end
  local bit = 2 ^ tonumber(j.state)
  return math.floor(tonumber(j.unique_mask) / bit) % 2 == 1
end

local function ready_key(queue, type)
  return base .. ':r:' .. #queue .. ':' .. queue .. ':' .. type
end

-- The member of a ready set: bytewise order = JobTransitions.CLAIM_ORDER. Priority high to low
-- (2^31 - 1 - priority, 10 digits), run_at and created_at (+ 2^52, 16 digits; Java keeps them
-- within +-2^52 ms, where doubles are exact), then ord (the id as hex UTF-16 code units, 4 digits
-- each: Java's String order), a space, and the id itself.
local function ready_member(j)
  return string.format('%010.0f%016.0f%016.0f', 2147483647 - tonumber(j.priority),
    tonumber(j.run_at) + 4503599627370496, tonumber(j.created_at) + 4503599627370496)
    .. j.ord .. ' ' .. j.id
end

-- The id of a ready member: what follows the first space after the 42 digits.
local function member_id(member)
  local space = string.find(member, ' ', 43, true)
  return string.sub(member, space + 1)
end

-- Byte-wise a < b (Lua's own string < follows the server's locale).
local function less(a, b)
  if a == b then
    return false
  end
  local n = math.min(#a, #b)
  local i = 1
  while i + 7 <= n and string.sub(a, i, i + 7) == string.sub(b, i, i + 7) do
    i = i + 8
  end
  while i <= n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x < y
    end
    i = i + 1
  end
  return #a < #b
end

local function unindex(j)
  local id, s = j.id, j.state
  if is_waiting(s) then
    redis.call('ZREM', K_SCHED, id)
    redis.call('ZREM', K_LAZY, id)
    redis.call('ZREM', ready_key(j.queue, j.type), ready_member(j))
    if j.expires_at then
      redis.call('ZREM', K_EXP, id)
    end
  elseif s == RUNNING then
    redis.call('ZREM', K_RUN, id)
  else
    redis.call('ZREM', K_FIN, id)
  end
end

local function make_ready(j)
  redis.call('ZADD', ready_key(j.queue, j.type), 0, ready_member(j))
  redis.call('SADD', base .. ':qt:' .. j.queue, j.type)
end

local function index(j)
  local id, s = j.id, j.state
  if is_waiting(s) then
    if s == QUEUED then
      make_ready(j)
    else
      redis.call('ZADD', K_SCHED, j.run_at, id)
    end
    if j.expires_at then
      redis.call('ZADD', K_EXP, j.expires_at, id)
    end
  elseif s == RUNNING then
    redis.call('ZADD', K_RUN, j.lease_until, id)
  else
    redis.call('ZADD', K_FIN, j.finished_at, id)
  end
end

-- Adds delta to the counters of j's state: by state, by type and state, by unique key and state.
local function count(j, delta)
  redis.call('HINCRBY', K_N, j.state, delta)
  local tf = j.state .. ':' .. j.type
  if redis.call('HINCRBY', K_NT, tf, delta) == 0 then
    redis.call('HDEL', K_NT, tf)
  end
  if j.unique_key then
    local kc = base .. ':kc:' .. j.unique_key
    if redis.call('HINCRBY', kc, j.state, delta) == 0 then
      redis.call('HDEL', kc, j.state)
    end
  end
end

-- The holder string follows the job: set when it starts holding its key, deleted when it stops.
-- The caller has checked that no other job holds the key.
local function follow_holder(old, new)
  local was = old ~= nil and holds(old)
  local is = new ~= nil and holds(new)
  if was and not is then
    local hk = base .. ':u:' .. old.unique_key
    if redis.call('GET', hk) == old.id then
      redis.call('DEL', hk)
    end
  elseif is and not was then
    redis.call('SET', base .. ':u:' .. new.unique_key, new.id)
  end
end

-- Writes new in place of old (nil for a new job): the changed fields, the indexes, the counters
-- and the unique key's holder.
local function save(old, new)
  local set, del = {}, {}
  for _, f in ipairs(FIELDS) do
    local v = new[f]
    local o = nil
    if old then
      o = old[f]
    end
    if v ~= o then
      if v then
        set[#set + 1] = f
        set[#set + 1] = v
      else
        del[#del + 1] = f
      end
    end
  end
  local k = job_key(new.id)
  if #set > 0 then
    redis.call('HSET', k, unpack(set))
  end
  if #del > 0 then
    redis.call('HDEL', k, unpack(del))
  end
  if old then
    unindex(old)
  end
  index(new)
  if old == nil or old.state ~= new.state then
    if old then
      count(old, -1)
    end
    count(new, 1)
  end
  follow_holder(old, new)
end

-- The job that holds unique key key, or nil; a holder string that names a job which no longer
-- holds the key (which the scripts never leave behind) is deleted.
local function holder_of(key)
  local hk = base .. ':u:' .. key
  local hid = redis.call('GET', hk)
  if not hid then
    return nil
  end
  local h = load(hid)
  if h and h.unique_key == key and holds(h) then
    return h
  end
  redis.call('DEL', hk)
  return nil
end

-- PendingSummary of key: {running, scheduled (SCHEDULED + FAILED), queued}
local function pending_of(key)
  local c = redis.call('HMGET', base .. ':kc:' .. key, RUNNING, SCHEDULED, FAILED, QUEUED)
  local function n(v)
    if v then
      return tonumber(v)
    end
    return 0
  end
  return {n(c[1]), n(c[2]) + n(c[3]), n(c[4])}
end

local function wake(origin)
  redis.call('PUBLISH', base .. ':wake', origin)
end

-- Instant.toString of epoch milliseconds ms (ISO-8601 in UTC, as java.time prints it).
local function iso_instant(ms)
  local secs = math.floor(ms / 1000)
  local milli = ms - secs * 1000
  local days = math.floor(secs / 86400)
  local sod = secs - days * 86400
  -- days to civil date (H. Hinnant's algorithm)
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
    - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp + 3
  if mp >= 10 then
    m = mp - 9
  end
  if m <= 2 then
    y = y + 1
  end
  local year
  if y > 9999 then
    year = '+' .. decimal(y)
  elseif y < 0 then
    year = '-' .. string.format('%04.0f', -y)
  else
    year = string.format('%04.0f', y)
  end
  local s = string.format('%s-%02d-%02dT%02d:%02d:%02d', year, m, d, math.floor(sod / 3600),
    math.floor((sod % 3600) / 60), sod % 60)
  if milli > 0 then
    s = s .. string.format('.%03d', milli)
  end
  return s .. 'Z'
end

-- JobTransitions.leaseExpiredError
local function lease_expired_error(j)
  local lease = 'null'
  if j.lease_until then
    lease = iso_instant(tonumber(j.lease_until))
  end
  return 'lease of worker ' .. (j.worker_id or 'null') .. ' expired at ' .. lease
    .. ' (attempt ' .. j.attempt .. ')'
end

-- Job.withState(state, now)
local function with_state(j, state)
  local n = copy(j)
  n.state = state
  n.updated_at = NOW
  if is_final(state) then
    n.finished_at = NOW
  else
    n.finished_at = nil
  end
  return n
end

-- End of job-lib.lua; the step follows.
