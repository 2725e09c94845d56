-- delete.lua: deletes a record whatever its state, as one atomic step of RedisIdempotencyStore.
--
-- KEYS[1] the record (a hash)             {prefix:N}:r:<key>
-- KEYS[2] the shard's expiry index (zset) {prefix:N}:exp
-- ARGV[1] the key (the expiry index member)
--
-- Returns 1 when there was a record, else 0. The shard's token sequence is kept, so that the
-- key's next token is still greater than every token it had.

local deleted = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return deleted
