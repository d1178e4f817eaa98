-- applyCapacity(): an operator changed the lot's capacity in the catalog; the
-- count the sources add up to is clamped into the new range.
-- KEYS  K, K:hist
-- ARGV  lotId, capacity, channel, now (the service's time)
-- A lot with no live state yet is left alone (its first event takes the catalog's capacity).
if redis.call('EXISTS', KEYS[1]) == 0 then return {'absent'} end
local s = load_lot(KEYS[1], ARGV[2])
if s.cap == ARGV[2] then return reply('duplicate', s) end
s.cap = ARGV[2]
settle(s)
return commit(KEYS[1], ARGV[3], ARGV[1], s, KEYS[2], 'r|' .. ARGV[4])
