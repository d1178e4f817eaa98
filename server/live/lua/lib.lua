-- Shared by every script in this folder: the server prepends it to each one.
-- A Lua transcription of server/domain/live.ts; keep the two in step (the
-- store contract and property tests compare them).
--
-- One lot's keys, all hash-tagged {lot:<id>} so they share a Redis Cluster slot:
--   K            hash: the state readers see, the rules' bookkeeping (FIELDS), and
--                per gate a field "g:<gate>" = "<hi seq>|<newest ts>|<run start ts or ''>"
--   K:log        sorted set: gate deltas newer than the last count, score ts,
--                member "<gate>|<seq or #n>|<ts>|<delta>"
--   K:seen:<g>   bitmap: bit (seq mod window) set for the seqs seen in (hi - window, hi]
--   K:bays       hash: space -> "<0|1>|<ts>|<seq or ''>"
--   K:kinds      hash: the declared bays by kind (domain/bay-kinds.ts), written by set-kinds.lua:
--                space -> its kind (charging|disabled|family|women), '#' -> the declared count
--                of each kind "<c>,<d>,<f>,<w>", '#v' -> the declaration's digest
--   K:hist       list: the history log (DESIGN.md §7), one record per applied change,
--                appended by commit() in the same step: "<n>|<s|r>|<at>|<STATE values>",
--                n numbering the lot's records (field hn; next_history_number), s: `at` is the sensor's
--                ts, r: the service's receipt time. The recorder reads and trims it.
--
-- Numbers that can exceed 14 digits (ts, seq, receipt times) are kept as the
-- strings they came in as: Lua would print them rounded. Comparisons use
-- tonumber (a double: exact below 2^53, which the schemas guarantee).

-- The fields readers see, in the order replies and the feed carry them.
-- kinds: the declared bays' tallies, "<bays>,<reported>,<occupied>" per kind in
-- KIND_INDEX order, ';' between; '' until set-kinds.lua counted them or a declared bay reported.
local STATE = {'cap', 'occ', 'ts', 'seq', 'clamped', 'rcv', 'alive', 'off', 'stale', 'src', 'kinds'}
-- cts/craw: the last count's ts and reported occupancy; folded/fts: deltas folded
-- out of the log and the newest ts among them; lsum/lcnt: the log's sum and length;
-- n: numbers deltas without seq; gsrc: a gate delta was applied; bays/bocc: spaces
-- known, occupied; offat: when the service received the offline status that set off;
-- hn: the number of the lot's last history record.
local FIELDS = {'cap', 'occ', 'ts', 'seq', 'clamped', 'rcv', 'alive', 'off', 'stale', 'src', 'kinds',
  'cts', 'craw', 'folded', 'fts', 'lsum', 'lcnt', 'n', 'gsrc', 'bays', 'bocc', 'offat', 'hn'}
local function fmt(n)
  return string.format('%d', n)
end

-- The most history records a lot's log keeps while the recorder does not take them
-- (set from HISTORY_LOG_MAX in domain/history when the scripts load).
local HIST_MAX = __HISTORY_LOG_MAX__

-- The number of the lot's next history record. The first one starts from the
-- server's clock in microseconds, so a log begun anew (Redis lost its data)
-- numbers past every record the recorder took from the old one.
local function next_history_number(hn)
  if hn == '' or hn == nil then
    local t = redis.call('TIME')
    return fmt(tonumber(t[1]) * 1000000 + tonumber(t[2]))
  end
  return fmt(tonumber(hn) + 1)
end

local function num(s, default)
  return tonumber(s) or default
end

-- While apply-batch.lua runs several events in one call: the lots read so far
-- (by key), so a lot's hash is read once per batch, and each lot's last state
-- for the one feed message the batch sends at its end, and the history records
-- it appends at its end. nil otherwise.
local BATCH = nil

-- Reads the lot, and one more field when `extra` names it (a gate's counter):
-- s[extra]. s.orig keeps the values as read (or last written), so commit()
-- writes only what changed. In a batch, a lot read before is not read again.
local function load_lot(key, lot_capacity, extra)
  local s = BATCH and BATCH.lots[key]
  if s then
    if extra and s.orig[extra] == nil then
      local value = redis.call('HGET', key, extra) or ''
      s.orig[extra] = value
      s[extra] = value
      s.extras[#s.extras + 1] = extra
    end
    return s
  end
  local names = FIELDS
  if extra then
    names = {unpack(FIELDS)}
    names[#names + 1] = extra
  end
  local values = redis.call('HMGET', key, unpack(names))
  local orig = {}
  s = {exists = values[1] ~= false, orig = orig, extras = {extra}}
  for i = 1, #names do
    local value = values[i] or ''
    s[names[i]] = value
    orig[names[i]] = value
  end
  if s.cap == '' then s.cap = lot_capacity end
  if s.clamped == '' then s.clamped = '0' end
  if s.off == '' then s.off = '0' end
  if s.stale == '' then s.stale = '0' end
  if BATCH then BATCH.lots[key] = s end
  return s
end

-- orderAgainst(): (ts, seq) against the last applied (ts, seq); '' is none.
local function order_against(last_ts, last_seq, ts, seq)
  local lts = tonumber(last_ts)
  if not lts then return 'applied' end
  if ts < lts then return 'out_of_order' end
  if ts > lts then return 'applied' end
  local lseq = tonumber(last_seq)
  if seq == nil or lseq == nil or seq == lseq then return 'duplicate' end
  if seq < lseq then return 'out_of_order' end
  return 'applied'
end

-- settle(): the occupancy by precedence: bays when they cover the lot, else
-- count + gates, else gates; bays that do not cover it, alone: not known.
local function settle(s)
  local raw
  local bays = num(s.bays, 0)
  local counted = s.cts ~= '' or s.gsrc == '1'
  if bays > 0 and bays >= tonumber(s.cap) then
    s.src = 'bays'
    raw = num(s.bocc, 0)
  elseif counted then
    if s.cts ~= '' then s.src = 'count' else s.src = 'gates' end
    raw = num(s.craw, 0) + num(s.folded, 0) + num(s.lsum, 0)
  elseif bays > 0 then
    s.src = 'bays'
  else
    s.src = ''
  end
  if raw == nil then
    s.occ = ''
    s.clamped = '0'
    return
  end
  local occ = math.min(math.max(raw, 0), tonumber(s.cap))
  s.occ = fmt(occ)
  if occ ~= raw then s.clamped = '1' else s.clamped = '0' end
end

-- The kinds of bay (domain/bay-kinds.ts bayKinds), in the order the tallies are kept.
local KIND_INDEX = {charging = 1, disabled = 2, family = 3, women = 4}

-- The tallies with no bay reported, from the declared counts "<c>,<d>,<f>,<w>".
local function kinds_declared(declared)
  local t = {}
  for n in string.gmatch(declared or '0,0,0,0', '%d+') do t[#t + 1] = {tonumber(n), 0, 0} end
  return t
end

local function kinds_format(t)
  local out = {}
  for i = 1, #t do out[i] = fmt(t[i][1]) .. ',' .. fmt(t[i][2]) .. ',' .. fmt(t[i][3]) end
  return table.concat(out, ';')
end

-- applySpace()'s tally: a declared bay (its kind in K:kinds) reported, for the
-- first time when `first`, its occupancy changing by `delta`; in the same step
-- as the bay's state, so the tallies always match the bays.
local function tally_bay(s, kinds_key, space, first, delta)
  local kind = redis.call('HGET', kinds_key, space)
  if not kind then return end
  local t
  if s.kinds == '' then
    t = kinds_declared(redis.call('HGET', kinds_key, '#'))
  else
    t = {}
    for b, r, o in string.gmatch(s.kinds, '(%d+),(%d+),(%d+)') do t[#t + 1] = {tonumber(b), tonumber(r), tonumber(o)} end
  end
  local k = t[KIND_INDEX[kind]]
  if first then k[2] = k[2] + 1 end
  k[3] = k[3] + delta
  s.kinds = kinds_format(t)
end

-- noteLife(): a sign of life; it ends an offline spell only if received after the offline status.
local function note_life(s, ts, received_at)
  if s.alive == '' or tonumber(ts) > tonumber(s.alive) then
    s.alive = ts
    s.stale = '0'
  end
  if s.off == '1' and (s.offat == '' or tonumber(received_at) > tonumber(s.offat)) then
    s.off = '0'
    s.offat = ''
  end
end

-- touch(): an applied event: newest data time, life, receipt time.
local function touch(s, ts, received_at)
  if s.ts == '' or tonumber(ts) > tonumber(s.ts) then s.ts = ts end
  note_life(s, ts, received_at)
  s.rcv = received_at
end

local function state_values(s)
  local out = {}
  for i = 1, #STATE do out[i] = s[STATE[i]] end
  return out
end

local function reply(outcome, s)
  local out = state_values(s)
  table.insert(out, 1, outcome)
  return out
end

-- Appends records to a lot's history log, which keeps the newest HIST_MAX: if the
-- recorder has not taken them for long, the oldest go (the recorder counts the gap).
local function history_append(hist_key, records)
  local length = redis.call('RPUSH', hist_key, unpack(records))
  if length > HIST_MAX then redis.call('LTRIM', hist_key, length - HIST_MAX, -1) end
end

-- Writes the fields of the lot that changed since it was read or last written.
local function write_lot(key, s)
  local args = {}
  local orig = s.orig
  for i = 1, #FIELDS do
    local name = FIELDS[i]
    if s[name] ~= orig[name] then
      args[#args + 1] = name
      args[#args + 1] = s[name]
      orig[name] = s[name]
    end
  end
  for _, name in ipairs(s.extras) do
    if s[name] ~= orig[name] then
      args[#args + 1] = name
      args[#args + 1] = s[name]
      orig[name] = s[name]
    end
  end
  if #args > 0 then redis.call('HSET', key, unpack(args)) end
end

-- Saves what changed in the lot (the gate counters read included), appends the
-- history record (when `hist_key` is given: `hist` is 's|<sensor ts>' or
-- 'r|<receipt time>'), announces it on the change feed
-- (id|cap|occ|ts|seq|clamped|rcv|alive|off|stale|src|kinds; in a batch, once
-- at its end, with the lot's last state) and replies 'applied'.
local function commit(key, channel, lot_id, s, hist_key, hist)
  local values = state_values(s)
  -- The state as the feed and the history log carry it, joined once for both.
  local joined = table.concat(values, '|')
  if hist_key and HIST_MAX > 0 then
    s.hn = next_history_number(s.hn)
    local record = s.hn .. '|' .. hist .. '|' .. joined
    if BATCH then
      -- Appended at the batch's end, the lot's records of the batch in one call (history_append).
      local records = BATCH.hist[hist_key]
      if not records then
        records = {}
        BATCH.hist[hist_key] = records
        BATCH.hist_keys[#BATCH.hist_keys + 1] = hist_key
      end
      records[#records + 1] = record
    else
      history_append(hist_key, {record})
    end
  end
  write_lot(key, s)
  local line = lot_id .. '|' .. joined
  if BATCH then
    if not BATCH.feed[key] then BATCH.order[#BATCH.order + 1] = key end
    BATCH.feed[key] = line
  else
    redis.call('PUBLISH', channel, line)
  end
  -- In a batch the reply is one string (apply-batch.lua): the joined state serves again.
  if BATCH then return 'applied|' .. joined end
  table.insert(values, 1, 'applied')
  return values
end

-- A log member's ts and delta.
local function member_parts(member)
  local ts, delta = string.match(member, '|(-?%d+)|(-?%d+)$')
  return ts, tonumber(delta)
end
