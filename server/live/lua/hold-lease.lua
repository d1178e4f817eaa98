-- Takes or renews a lease (one instance does a job at a time): 1 to its holder.
-- KEYS  the lease's key
-- ARGV  holder, ttl ms
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
