package io.idem.redis;

import io.idem.spi.ProcessedSetStore;
import io.idem.testkit.ProcessedSetContract;
import io.idem.testkit.SettableClock;
import org.junit.jupiter.api.AfterEach;

/** The whole processed-set contract against a real Redis, with a prefix of its own per test. */
class RedisProcessedSetStoreTest extends ProcessedSetContract {

  private String prefix;

  @Override
  protected ProcessedSetStore createStore(SettableClock clock) {
    prefix = RedisTesting.uniquePrefix("sets");
    return RedisProcessedSetStore.builder(RedisTesting.client(), RedisTesting.uri())
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
