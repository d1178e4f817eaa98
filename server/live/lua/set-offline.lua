-- applyLotOffline(): a gateway serving the lot went offline (1) or came back (0).
-- KEYS  K, K:hist
-- ARGV  lotId, lotCapacity, 1|0, receivedAt, channel
local s = load_lot(KEYS[1], ARGV[2])
if s.off == ARGV[3] then return reply('duplicate', s) end
s.off = ARGV[3]
if ARGV[3] == '1' then s.offat = ARGV[4] else s.offat = '' end
return commit(KEYS[1], ARGV[5], ARGV[1], s, KEYS[2], 'r|' .. ARGV[4])
