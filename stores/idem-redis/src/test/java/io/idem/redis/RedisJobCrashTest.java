package io.idem.redis;

import io.idem.spi.IdempotencyStore;
import io.idem.spi.JobStore;
import io.idem.testkit.JobCrashContract;
import io.idem.testkit.servers.ParentWatch;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** Worker processes on one Redis, killed with kill -9 while they run 1,000 jobs. */
class RedisJobCrashTest extends JobCrashContract {

  private final String prefix = RedisTesting.uniquePrefix("crash");

  @Override
  protected JobStore parentJobStore() {
    return RedisJobStore.builder(RedisTesting.client(), RedisTesting.uri()).prefix(prefix).build();
  }

  @Override
  protected IdempotencyStore parentIdempotencyStore() {
    return RedisIdempotencyStore.builder(RedisTesting.client(), RedisTesting.uri())
        .prefix(prefix)
        .build();
  }

  @Override
  protected Class<?> childMain() {
    return Child.class;
  }

  @Override
  protected List<String> childArgs() {
    return List.of(RedisTesting.server().uri(), prefix);
  }

  @AfterEach
  void deleteKeys() {
    RedisTesting.deleteKeysOf(prefix);
  }

  /** A crash-test worker process: args are the worker id, the Redis URI and the key prefix. */
  public static final class Child {
    private Child() {}

    public static void main(String[] args) throws Exception {
      ParentWatch.haltWhenParentEnds(); // no child outlives the test JVM
      runWorker(
          RedisJobStore.builder(args[1]).prefix(args[2]).build(),
          RedisIdempotencyStore.builder(args[1]).prefix(args[2]).build(),
          args[0]);
    }
  }
}
