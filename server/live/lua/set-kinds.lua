-- applyBayKinds(): the operator declared the lot's bays by kind (or changed the
-- declaration). The declaration is kept in K:kinds for the lot's space events;
-- a lot with live state has its tallies counted again from its bays' states,
-- in this same step. The declaration the store has (same digest) changes nothing.
-- KEYS  K, K:kinds, K:bays, K:hist
-- ARGV  lotId, digest ('' = none declared), channel, now (the service's time),
--       declared counts "<c>,<d>,<f>,<w>", then space, kind, space, kind, …
if (redis.call('HGET', KEYS[2], '#v') or '') == ARGV[2] then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {'absent'} end
  return reply('duplicate', load_lot(KEYS[1], '0'))
end
redis.call('DEL', KEYS[2])
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[2], '#v', ARGV[2], '#', ARGV[5])
  -- In slices: Lua's unpack() takes a few thousand values at most.
  for i = 6, #ARGV, 2000 do
    local args = {}
    for j = i, math.min(i + 1999, #ARGV) do args[#args + 1] = ARGV[j] end
    redis.call('HSET', KEYS[2], unpack(args))
  end
end
if redis.call('EXISTS', KEYS[1]) == 0 then return {'absent'} end
local s = load_lot(KEYS[1], '0')
if ARGV[2] == '' then
  s.kinds = ''
else
  local t = kinds_declared(ARGV[5])
  for j = 6, #ARGV, 2 do
    local saved = redis.call('HGET', KEYS[3], ARGV[j])
    if saved then
      local k = t[KIND_INDEX[ARGV[j + 1]]]
      k[2] = k[2] + 1
      if string.sub(saved, 1, 1) == '1' then k[3] = k[3] + 1 end
    end
  end
  s.kinds = kinds_format(t)
end
return commit(KEYS[1], ARGV[3], ARGV[1], s, KEYS[4], 'r|' .. ARGV[4])
