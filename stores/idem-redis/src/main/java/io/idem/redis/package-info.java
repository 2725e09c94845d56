/**
 * Idem's stores on Redis, through Lettuce: each atomic step of the record state machine is one Lua
 * script (resources under {@code io/idem/redis/}). Start with {@link
 * io.idem.redis.RedisIdempotencyStore#builder(String)}.
 */
@NullMarked
package io.idem.redis;

import org.jspecify.annotations.NullMarked;
