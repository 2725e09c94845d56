package io.idem.bench;

import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import net.javacrumbs.shedlock.core.AbstractSimpleLock;
import net.javacrumbs.shedlock.core.ClockProvider;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.support.Utils;

/**
 * ShedLock's Redis lock protocol on a Lettuce connection, for {@link LockBenchmark}: a stand-in
 * until LockBenchmark uses ShedLock's own {@code shedlock-provider-redis-spring} (on Maven Central;
 * {@code -redis-jedis4} and {@code -redis-lettuce} do not resolve here). This class does what their
 * shared implementation does by default (no "safe update"), through shedlock-core's API:
 *
 * <ul>
 *   <li>lock: {@code SET job-lock:default:<name> "ADDED:<now>@<host>:<uuid>" NX PX
 *       <lockAtMostFor>}; locked when Redis answers OK;
 *   <li>unlock: when lockAtLeastFor has passed, {@code DEL} the key (not checking the value); else
 *       {@code SET key value XX PX <rest of lockAtLeastFor>}.
 * </ul>
 *
 * One round trip each, as ShedLock's providers. Thread-safe.
 */
final class ShedLockLettuceProvider implements LockProvider {

  private final StatefulRedisConnection<String, String> connection;

  ShedLockLettuceProvider(StatefulRedisConnection<String, String> connection) {
    this.connection = connection;
  }

  @Override
  public Optional<SimpleLock> lock(LockConfiguration config) {
    String key = "job-lock:default:" + config.getName();
    String value =
        "ADDED:"
            + Utils.toIsoString(ClockProvider.now())
            + "@"
            + Utils.getHostname()
            + ":"
            + UUID.randomUUID();
    String answer =
        connection
            .sync()
            .set(key, value, SetArgs.Builder.nx().px(msUntil(config.getLockAtMostUntil())));
    return "OK".equals(answer) ? Optional.of(new RedisLock(key, value, config)) : Optional.empty();
  }

  private static long msUntil(Instant instant) {
    return Duration.between(ClockProvider.now(), instant).toMillis();
  }

  private final class RedisLock extends AbstractSimpleLock {
    private final String key;
    private final String value;

    RedisLock(String key, String value, LockConfiguration config) {
      super(config);
      this.key = key;
      this.value = value;
    }

    @Override
    protected void doUnlock() {
      long keepFor = msUntil(lockConfiguration.getLockAtLeastUntil());
      if (keepFor <= 0) {
        connection.sync().del(key);
      } else {
        connection.sync().set(key, value, SetArgs.Builder.xx().px(keepFor));
      }
    }
  }
}
