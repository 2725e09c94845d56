-- job-list.lua: reads jobs for JobStore.list in one atomic step of RedisJobStore (a consistent
-- snapshot of what it returns). RedisScript puts job-lib.lua in front of it.
--
-- KEYS[1] B:created (for routing; every key used shares its hash tag)
-- ARGV[1] B; ARGV[2] now (unused); ARGV[3] the states mask (0 for all); ARGV[4] the type ('' for
-- all); ARGV[5] the queue ('' for all); ARGV[6] 'key' or 'scan'
-- with 'key': ARGV[7] the unique key: every job with it that passes the filters
-- with 'scan': ARGV[7] the highest created_at ('+inf', a number, or '(' and a number for below
-- it); ARGV[8] how many ids of B:created to look at, newest first (the last millisecond looked at
-- is always taken in full)
--
-- Returns {low, jobs, low ids}: jobs (fields of each) that pass the filters; with 'scan', low is
-- the oldest created_at looked at and low ids the ids created then ('' and none when B:created
-- had no more).

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

local budget = tonumber(ARGV[8])
local page = redis.call('ZREVRANGEBYSCORE', K_CREATED, ARGV[7], '-inf', 'WITHSCORES', 'LIMIT', 0,
  budget)
if #page == 0 then
  return {'', {}, {}}
end
local low = page[#page]
local ids = {}
for i = 1, #page, 2 do
  if page[i + 1] ~= low then
    ids[#ids + 1] = page[i]
  end
end
local group = redis.call('ZRANGEBYSCORE', K_CREATED, low, low)
for _, id in ipairs(group) do
  ids[#ids + 1] = id
end
if #page / 2 < budget then
  -- nothing older is left: no low, so the caller stops
  return {'', read(ids), {}}
end
return {low, read(ids), group}
