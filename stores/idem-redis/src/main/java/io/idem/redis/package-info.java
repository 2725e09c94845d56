/**
 * Idem's stores on Redis, through Lettuce: each atomic step is one Lua script (resources under
 * {@code io/idem/redis/}). Start with {@link io.idem.redis.RedisIdempotencyStore#builder(String)};
 * processed sets of deduplication trackers are in {@link io.idem.redis.RedisProcessedSetStore},
 * leased locks with fencing tokens in {@link io.idem.redis.RedisLockStore}, unique jobs in {@link
 * io.idem.redis.RedisJobStore}. The stores can share a prefix: their keys do not meet.
 */
@NullMarked
package io.idem.redis;

import org.jspecify.annotations.NullMarked;
