--[[
  The port-level state of BullMQ jobs of one queue, for counts: BullMQ's own counters cannot tell a
  retry waiting out its backoff from a job deferred by a rate limit (both are "delayed"), and cannot
  count by Trawl's job group. O(1) per job except the two short lists (wait, active).

  KEYS[1]  key prefix of the queue ("<prefix>:<queue>:")
  ARGV     job ids

  Returns one code per id: w waiting, r retrying (failed before), l leased, d done, x dead, "" gone;
  an existing job's code is followed by ":" and its name (the job's kind), for counts by kind.
]]
local p = KEYS[1]
local out = {}
for i, id in ipairs(ARGV) do
  local code = ''
  if redis.call('EXISTS', p .. id) == 1 then
    if redis.call('ZSCORE', p .. 'prioritized', id) then
      code = 'w'
    elseif redis.call('ZSCORE', p .. 'delayed', id) then
      local made = tonumber(redis.call('HGET', p .. id, 'atm') or '0') or 0
      if made > 0 then code = 'r' else code = 'w' end
    elseif redis.call('ZSCORE', p .. 'completed', id) then
      code = 'd'
    elseif redis.call('ZSCORE', p .. 'failed', id) then
      code = 'x'
    elseif redis.call('LPOS', p .. 'active', id) then
      code = 'l'
    elseif redis.call('LPOS', p .. 'wait', id) or redis.call('LPOS', p .. 'paused', id) then
      code = 'w'
    end
  end
  if code ~= '' then code = code .. ':' .. (redis.call('HGET', p .. id, 'name') or '') end
  out[i] = code
end
return out
