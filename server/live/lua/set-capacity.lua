-- Sets a lot's live capacity and clamps its count, atomically: the Lua
-- transcription of withCapacity() in server/domain/live-capacity.ts. Keep the
-- two in step; the store contract tests compare them.
--
-- KEYS[1]  the lot's hash
-- ARGV     lotId, capacity, channel
-- returns  {} when the lot has no live state, else {cap, occ, ts, seq, clamped, rcv} as strings
local key = KEYS[1]
local s = redis.call('HMGET', key, 'cap', 'occ', 'ts', 'seq', 'clamped', 'rcv')
if not s[1] then return {} end

local capacity = tonumber(ARGV[2])
local cap = string.format('%d', capacity)
local occ = s[2] or ''
local clamped = s[5] or '0'
if occ ~= '' then
  local occupied = tonumber(occ)
  local bounded = math.min(math.max(occupied, 0), capacity)
  if bounded ~= occupied then clamped = '1' end
  occ = string.format('%d', bounded)
end
if cap == s[1] and occ == (s[2] or '') then
  return {cap, occ, s[3] or '', s[4] or '', clamped, s[6] or ''}
end
redis.call('HSET', key, 'cap', cap, 'occ', occ, 'clamped', clamped)
redis.call('PUBLISH', ARGV[3], table.concat({ARGV[1], cap, occ, s[3] or '', s[4] or '', clamped, s[6] or ''}, '|'))
return {cap, occ, s[3] or '', s[4] or '', clamped, s[6] or ''}
