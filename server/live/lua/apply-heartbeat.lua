-- applyHeartbeat(): the lot is alive; its counts do not change.
-- KEYS  K
-- ARGV  lotId, lotCapacity, ts, channel
local s = load_lot(KEYS[1], ARGV[2])
local ts = tonumber(ARGV[3])
local alive = tonumber(s.alive)
if alive and ts < alive then return reply('out_of_order', s) end
if alive and ts == alive and s.off ~= '1' then return reply('duplicate', s) end
note_life(s, ARGV[3])
return commit(KEYS[1], ARGV[4], ARGV[1], s)
