-- applyBatch(): several events in one call, each applied exactly as its own
-- script would apply it alone (apply-count/-gate/-space/-heartbeat.lua, which
-- the server puts in front of this as the functions APPLY.c/g/s/h). What the
-- batch saves: one script call instead of one per event, each lot's hash read
-- once (load_lot keeps it in BATCH.lots), each lot's history records appended
-- in one call, and one feed message at the end carrying each changed lot's
-- last state, one line per lot (DESIGN.md §3). Every event's fields are still
-- written when it is applied, so an event that fails leaves the others as they would be alone:
-- its lot is read afresh by the events after it, and it answers 'error'.
-- KEYS  every event's keys, in turn
-- ARGV  channel, then for each event: kind c|g|s|h, its number of keys, its number of args, its args
-- returns, for each event, one string: the outcome and the state after it (what
-- the single scripts reply), joined by '|'; or 'error|<message>'
BATCH = {lots = {}, feed = {}, order = {}, hist = {}, hist_keys = {}}
local out = {}
local k, a = 1, 2
while a <= #ARGV do
  local kind, nkeys, nargs = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local keys = {unpack(KEYS, k, k + nkeys - 1)}
  local args = {unpack(ARGV, a + 3, a + 2 + nargs)}
  k = k + nkeys
  a = a + 3 + nargs
  local ok, result = pcall(APPLY[kind], keys, args)
  if ok then
    -- commit() answers a batch with its reply joined already; the other outcomes with a table.
    out[#out + 1] = type(result) == 'string' and result or table.concat(result, '|')
  else
    BATCH.lots[keys[1]] = nil
    if type(result) == 'table' and result.err then result = result.err end
    out[#out + 1] = 'error|' .. tostring(result)
  end
end
for _, hist_key in ipairs(BATCH.hist_keys) do history_append(hist_key, BATCH.hist[hist_key]) end
if #BATCH.order > 0 then
  local lines = {}
  for i, key in ipairs(BATCH.order) do lines[i] = BATCH.feed[key] end
  redis.call('PUBLISH', ARGV[1], table.concat(lines, '\n'))
end
return out
