-- job-list.lua: reads jobs for JobStore.list in one atomic step of RedisJobStore (a consistent
-- snapshot of what it returns). RedisScript puts job-lib.lua in front of it.
--
-- KEYS[1] B:created (for routing; every key used shares its hash tag)
-- ARGV[1] B; ARGV[2] now (unused); ARGV[3] the states mask (0 for all); ARGV[4] the type ('' for
-- all); ARGV[5] the queue ('' for all); ARGV[6] 'key' or 'scan'
-- with 'key': ARGV[7] the unique key: every job with it that passes the filters
-- with 'scan': ARGV[7] the highest created_at ('+inf', a number, or '(' and a number for below
-- it); ARGV[8] how many ids of B:created to look at, newest first (the last millisecond looked at
-- is always taken in full); ARGV[9] how many jobs that pass are wanted: the scan stops at the end
-- of the first millisecond after which it has that many
--
-- Returns {low, jobs, low ids}: jobs (fields of each) that pass the filters; with 'scan', low is
-- the oldest created_at looked at (every job created from it up to ARGV[7] was looked at), and
-- low ids the ids created then ('' and none when B:created had no more).

local mask, type, queue = tonumber(ARGV[3]), opt(ARGV[4]), opt(ARGV[5])

local function passes(j)
  if type and j.type ~= type then
    return false
  end
  if queue and j.queue ~= queue then
    return false
  end
  if mask ~= 0 and math.floor(mask / 2 ^ tonumber(j.state)) % 2 ~= 1 then
    return false
  end
  return true
end

local function read(ids)
  local out = {}
  for _, id in ipairs(ids) do
    local j = load(id)
    if j and passes(j) then
      out[#out + 1] = flatten(j)
    end
  end
  return out
end

if ARGV[6] == 'key' then
  return {'', read(redis.call('SMEMBERS', base .. ':k:' .. ARGV[7])), {}}
end

local budget, want = tonumber(ARGV[8]), tonumber(ARGV[9])
local page = redis.call('ZREVRANGEBYSCORE', K_CREATED, ARGV[7], '-inf', 'WITHSCORES', 'LIMIT', 0,
  budget)
if #page == 0 then
  return {'', {}, {}}
end
local full = #page / 2 >= budget
local low = page[#page]
local out = {}
local last, last_ids = nil, {}

local function take(id)
  local j = load(id)
  if j and passes(j) then
    out[#out + 1] = flatten(j)
  end
end

for i = 1, #page, 2 do
  local score = page[i + 1]
  if full and score == low then
    break
  end
  if score ~= last then
    if #out >= want then
      -- enough, and every millisecond looked at so far was read in full
      return {last, out, last_ids}
    end
    last, last_ids = score, {}
  end
  take(page[i])
  last_ids[#last_ids + 1] = page[i]
end
if not full then
  -- nothing older is left: no low, so the caller stops
  return {'', out, {}}
end
if #out >= want and last then
  return {last, out, last_ids}
end
-- the last millisecond in full (it may go on past the budget)
local group = redis.call('ZRANGEBYSCORE', K_CREATED, low, low)
for _, id in ipairs(group) do
  take(id)
end
return {low, out, group}
