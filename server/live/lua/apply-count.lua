-- Applies an absolute count to one lot, atomically: the Lua transcription of
-- applyCount() in server/domain/live.ts. Keep the two in step; the contract
-- and property tests compare them.
--
-- KEYS[1]  the lot's hash
-- ARGV     lotId, lotCapacity, ts, seq|'', occupied|'', free|'', capacity|'', receivedAt, channel
-- returns  {outcome, cap, occ, ts, seq, clamped, rcv} as strings
--
-- Numbers that can exceed 14 digits (ts, seq, rcv) are stored and published
-- as the strings they came in as: Lua would print them rounded.
local key = KEYS[1]
local s = redis.call('HMGET', key, 'cap', 'occ', 'ts', 'seq', 'clamped', 'rcv')
local lastTs = tonumber(s[3])
local lastSeq = tonumber(s[4])
local ts = tonumber(ARGV[3])
local seq = tonumber(ARGV[4])

local outcome = 'applied'
if lastTs then
  if ts < lastTs then
    outcome = 'out_of_order'
  elseif ts == lastTs then
    if seq == nil or lastSeq == nil or seq == lastSeq then
      outcome = 'duplicate'
    elseif seq < lastSeq then
      outcome = 'out_of_order'
    end
  end
end

if outcome ~= 'applied' then
  return {outcome, s[1] or ARGV[2], s[2] or '', s[3] or '', s[4] or '', s[5] or '0', s[6] or ''}
end

local capacity = tonumber(ARGV[7]) or tonumber(s[1]) or tonumber(ARGV[2])
local reported
if ARGV[5] ~= '' then
  reported = tonumber(ARGV[5])
else
  reported = capacity - tonumber(ARGV[6])
end
local occupied = math.min(math.max(reported, 0), capacity)
local clamped = '0'
if occupied ~= reported then clamped = '1' end

local cap = string.format('%d', capacity)
local occ = string.format('%d', occupied)
redis.call('HSET', key, 'cap', cap, 'occ', occ, 'ts', ARGV[3], 'seq', ARGV[4], 'clamped', clamped, 'rcv', ARGV[8])
redis.call('PUBLISH', ARGV[9], table.concat({ARGV[1], cap, occ, ARGV[3], ARGV[4], clamped, ARGV[8]}, '|'))
return {outcome, cap, occ, ARGV[3], ARGV[4], clamped, ARGV[8]}
