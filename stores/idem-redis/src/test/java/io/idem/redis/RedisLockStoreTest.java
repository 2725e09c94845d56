package io.idem.redis;

import io.idem.spi.LockStore;
import io.idem.testkit.LeasedLockStoreContract;
import io.idem.testkit.SettableClock;
import org.junit.jupiter.api.AfterEach;

/** The whole lock contract against a real Redis, with a prefix of its own per test. */
class RedisLockStoreTest extends LeasedLockStoreContract {

  private String prefix;

  @Override
  protected LockStore createStore(SettableClock clock) {
    prefix = RedisTesting.uniquePrefix("locks");
    return RedisLockStore.builder(RedisTesting.client(), RedisTesting.uri())
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
