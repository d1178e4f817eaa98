-- applyHeartbeat(): the lot is alive; its counts do not change.
-- KEYS  K, K:hist
-- ARGV  lotId, lotCapacity, ts, receivedAt, channel
local s = load_lot(KEYS[1], ARGV[2])
local ts = tonumber(ARGV[3])
local alive = tonumber(s.alive)
local newer = alive == nil or ts > alive
local revives = s.off == '1' and (s.offat == '' or tonumber(ARGV[4]) > tonumber(s.offat))
if not newer and not revives then
  if ts < alive then return reply('out_of_order', s) end
  return reply('duplicate', s)
end
note_life(s, ARGV[3], ARGV[4])
return commit(KEYS[1], ARGV[5], ARGV[1], s, KEYS[2], 's|' .. ARGV[3])
