-- applyLotOffline(): a gateway serving the lot went offline (1) or came back (0).
-- KEYS  K
-- ARGV  lotId, lotCapacity, 1|0, channel
local s = load_lot(KEYS[1], ARGV[2])
if s.off == ARGV[3] then return reply('duplicate', s) end
s.off = ARGV[3]
return commit(KEYS[1], ARGV[4], ARGV[1], s)
