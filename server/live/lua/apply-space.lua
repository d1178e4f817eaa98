-- applySpace(): one bay sensor's state, ordered per space by (ts, seq).
-- KEYS  K, K:bays, K:hist, K:kinds
-- ARGV  lotId, lotCapacity, space, occupied 1|0, ts, seq|'', receivedAt, channel
local s = load_lot(KEYS[1], ARGV[2])
local saved = redis.call('HGET', KEYS[2], ARGV[3])
local last_occ, last_ts, last_seq = '0', '', ''
if saved then last_occ, last_ts, last_seq = string.match(saved, '^([01])|(-?%d+)|(%d*)$') end
local outcome = order_against(last_ts, last_seq, tonumber(ARGV[5]), tonumber(ARGV[6]))
if outcome ~= 'applied' then return reply(outcome, s) end

if not saved then s.bays = fmt(num(s.bays, 0) + 1) end
s.bocc = fmt(num(s.bocc, 0) + tonumber(ARGV[4]) - tonumber(last_occ))
tally_bay(s, KEYS[4], ARGV[3], not saved, tonumber(ARGV[4]) - tonumber(last_occ))
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4] .. '|' .. ARGV[5] .. '|' .. ARGV[6])
touch(s, ARGV[5], ARGV[7])
settle(s)
return commit(KEYS[1], ARGV[8], ARGV[1], s, KEYS[3], 's|' .. ARGV[5])
