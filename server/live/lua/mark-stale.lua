-- applyStaleMark(): claims the lot's stale transition for this sign of life, once.
-- KEYS  K
-- ARGV  lotId, aliveAt, channel
-- returns 1 to the caller that claimed it, else 0
local s = load_lot(KEYS[1], '0')
if not s.exists or s.alive == '' or tonumber(s.alive) ~= tonumber(ARGV[2]) or s.stale == '1' then return 0 end
s.stale = '1'
commit(KEYS[1], ARGV[3], ARGV[1], s)
return 1
