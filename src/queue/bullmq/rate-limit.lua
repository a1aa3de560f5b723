--[[
  Per-group rate limit for Trawl's BullMQ queue: a sliding-window log, i.e. a token bucket of `max`
  tokens where each spent token comes back exactly `window` ms after it was spent. That makes the
  promise exact: no more than `max` grants in ANY window of `window` ms (a classic refill-rate
  bucket allows up to 2*max across a window boundary), and it is atomic across all workers.

  KEYS[1]  hash   group -> "max:windowMs" (the configured limits)
  KEYS[2]  zset   grant log of this group: member = grant id, score = grant time (ms)
  ARGV[1]  group name
  ARGV[2]  grant id (unique per lease)

  Returns {1, 0} granted (or the group has no limit), {0, retryAfterMs} refused.
  Time is Redis's own clock (TIME), so workers with skewed clocks still share one window.
]]
local conf = redis.call('HGET', KEYS[1], ARGV[1])
if not conf then
  return {1, 0}
end
local max, window = string.match(conf, '^(%d+):(%d+)$')
max = tonumber(max)
window = tonumber(window)
if not max or not window then
  return redis.error_reply('bad rate limit for ' .. ARGV[1] .. ': ' .. conf)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
if redis.call('ZCARD', KEYS[2]) < max then
  redis.call('ZADD', KEYS[2], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[2], window + 1000)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local retry = tonumber(oldest[2]) + window - now
if retry < 1 then retry = 1 end
return {0, retry}
