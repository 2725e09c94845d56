package io.idem.redis;

import io.idem.spi.JobStore;
import io.idem.testkit.JobStoreContract;
import io.idem.testkit.SettableClock;
import org.junit.jupiter.api.AfterEach;

/** The whole job contract against a real Redis, with a prefix of its own per test. */
class RedisJobStoreTest extends JobStoreContract {

  private String prefix;

  @Override
  protected JobStore createStore(SettableClock clock) {
    prefix = RedisTesting.uniquePrefix("jobs");
    return RedisJobStore.builder(RedisTesting.client(), RedisTesting.uri())
        .prefix(prefix)
        .clock(clock)
        .build();
  }

  @AfterEach
  void deleteKeys() {
    if (prefix != null) {
      RedisTesting.deleteKeysOf(prefix);
    }
  }
}
