-- A lot's catalog status changed (open or not): a record in its history log,
-- numbered with the others (DESIGN.md §7). A lot without live state has no log.
-- KEYS  K, K:hist
-- ARGV  open 1|0, at (the service's time)
if HIST_MAX == 0 or redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = next_history_number(redis.call('HGET', KEYS[1], 'hn') or '')
redis.call('HSET', KEYS[1], 'hn', n)
local length = redis.call('RPUSH', KEYS[2], n .. '|o|' .. ARGV[2] .. '|' .. ARGV[1])
if length > HIST_MAX then redis.call('LTRIM', KEYS[2], length - HIST_MAX, -1) end
return 1
