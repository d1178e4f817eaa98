-- applyGate(): vehicles passing one gate, a delta.
-- KEYS  K, K:log, K:seen:<gate>, K:hist
-- ARGV  lotId, lotCapacity, gate, delta, ts, sensorTs 1|0, seq|'', receivedAt, channel, window, logMax
local gate, ts_s, seq_s = ARGV[3], ARGV[5], ARGV[7]
local field = 'g:' .. gate
local s = load_lot(KEYS[1], ARGV[2], field)
local ts, seq, window = tonumber(ts_s), tonumber(seq_s), tonumber(ARGV[10])
if s.cts ~= '' and ts <= tonumber(s.cts) then return reply('superseded', s) end

-- gateOrder(): the seq window, with counter restarts.
if seq then
  local counter = nil
  local restart = false
  if s[field] ~= '' then
    local hi, hi_ts, run_ts = string.match(s[field], '^(%d+)|(-?%d+)|(-?%d*)$')
    counter = {hi = hi, hi_ts = hi_ts, run_ts = run_ts}
    local outcome = 'applied'
    if run_ts ~= '' and ts < tonumber(run_ts) then
      outcome = 'out_of_order'
    elseif seq < tonumber(hi) and ARGV[6] == '1' and ts > tonumber(hi_ts) then
      restart = true
    elseif seq > tonumber(hi) then
      outcome = 'applied'
    elseif seq <= tonumber(hi) - window then
      outcome = 'out_of_order'
    elseif redis.call('GETBIT', KEYS[3], seq % window) == 1 then
      outcome = 'duplicate'
    end
    if outcome ~= 'applied' then return reply(outcome, s) end
  end

  -- noteGateSeq()
  if not counter or restart then
    local run_ts = ''
    if restart then run_ts = ts_s end
    redis.call('DEL', KEYS[3])
    redis.call('SETBIT', KEYS[3], seq % window, 1)
    s[field] = seq_s .. '|' .. ts_s .. '|' .. run_ts
  else
    local hi, hi_ts = counter.hi, counter.hi_ts
    if seq > tonumber(hi) then
      -- The window slides: forget the seqs that fall out of it.
      if seq - tonumber(hi) >= window then
        redis.call('DEL', KEYS[3])
      else
        for old = tonumber(hi) + 1, seq - 1 do redis.call('SETBIT', KEYS[3], old % window, 0) end
      end
      hi = seq_s
    end
    redis.call('SETBIT', KEYS[3], seq % window, 1)
    if ts > tonumber(hi_ts) then hi_ts = ts_s end
    s[field] = hi .. '|' .. hi_ts .. '|' .. counter.run_ts
  end
end

s.gsrc = '1'
local delta = tonumber(ARGV[4])
if s.fts ~= '' and ts <= tonumber(s.fts) then
  s.folded = fmt(num(s.folded, 0) + delta)
else
  local id = seq_s
  if not seq then
    s.n = fmt(num(s.n, 0) + 1)
    id = '#' .. s.n
  end
  redis.call('ZADD', KEYS[2], ts_s, gate .. '|' .. id .. '|' .. ts_s .. '|' .. ARGV[4])
  local lsum = num(s.lsum, 0) + delta
  local folded = num(s.folded, 0)
  local count = num(s.lcnt, 0) + 1
  local excess = count - tonumber(ARGV[11])
  if excess > 0 then
    -- The log is full: fold its oldest deltas into one number.
    local popped = redis.call('ZPOPMIN', KEYS[2], excess)
    for i = 1, #popped, 2 do
      local old_ts, old_delta = member_parts(popped[i])
      folded = folded + old_delta
      lsum = lsum - old_delta
      if s.fts == '' or tonumber(old_ts) > tonumber(s.fts) then s.fts = old_ts end
    end
    count = count - excess
  end
  s.lsum = fmt(lsum)
  s.lcnt = fmt(count)
  s.folded = fmt(folded)
end
touch(s, ts_s, ARGV[8])
settle(s)
return commit(KEYS[1], ARGV[9], ARGV[1], s, KEYS[4], 's|' .. ts_s)
