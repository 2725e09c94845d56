package io.idem.redis;

import io.idem.spi.IdempotencyStore;
import io.idem.testkit.IdempotencyStoreContract;
import io.idem.testkit.SettableClock;
import org.junit.jupiter.api.AfterEach;

/** The whole store contract against a real Redis, with a prefix of its own per test. */
class RedisIdempotencyStoreTest extends IdempotencyStoreContract {

  private String prefix;

  @Override
  protected IdempotencyStore createStore(SettableClock clock) {
    prefix = RedisTesting.uniquePrefix("contract");
    return RedisIdempotencyStore.builder(RedisTesting.client(), RedisTesting.uri())
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
