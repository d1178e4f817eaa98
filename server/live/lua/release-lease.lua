-- Gives a lease back, if this holder still holds it (a stopping instance).
-- KEYS  the lease's key
-- ARGV  holder
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
