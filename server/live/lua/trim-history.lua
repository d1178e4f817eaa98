-- The recorder took a lot's history records up to number ARGV[1]: they go.
-- Numbers run on without a gap in the list, so the first one says how many.
-- KEYS  K:hist
-- ARGV  upTo
local first = redis.call('LINDEX', KEYS[1], 0)
if not first then return 0 end
local n = tonumber(string.match(first, '^(%d+)|'))
local drop = tonumber(ARGV[1]) - n + 1
if drop <= 0 then return 0 end
redis.call('LTRIM', KEYS[1], drop, -1)
return drop
