-- applyCount(): an absolute count for a whole lot.
-- KEYS  K, K:log, K:hist
-- ARGV  lotId, lotCapacity, ts, seq|'', occupied|'', free|'', capacity|'', receivedAt, channel
local s = load_lot(KEYS[1], ARGV[2])
local ts = tonumber(ARGV[3])
local outcome = order_against(s.cts, s.seq, ts, tonumber(ARGV[4]))
-- Deltas newer than this count were folded together with older ones: it cannot be placed exactly.
if outcome == 'applied' and s.fts ~= '' and ts < tonumber(s.fts) then outcome = 'out_of_order' end
if outcome ~= 'applied' then return reply(outcome, s) end

local capacity = tonumber(ARGV[7]) or tonumber(s.cap)
s.cap = fmt(capacity)
s.seq = ARGV[4]
s.cts = ARGV[3]
s.craw = fmt(tonumber(ARGV[5]) or (capacity - tonumber(ARGV[6])))
-- The count reflects every gate delta up to its ts: keep only the newer ones
-- (a lot without gates has an empty log: nothing to read).
if num(s.lcnt, 0) > 0 then
  local removed = redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
  s.lcnt = fmt(num(s.lcnt, 0) - removed)
  local sum = 0
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    local _, delta = member_parts(member)
    sum = sum + delta
  end
  s.lsum = fmt(sum)
else
  s.lsum = '0'
end
s.folded = '0'
s.fts = ''
touch(s, ARGV[3], ARGV[8])
settle(s)
return commit(KEYS[1], ARGV[9], ARGV[1], s, KEYS[3], 's|' .. ARGV[3])
