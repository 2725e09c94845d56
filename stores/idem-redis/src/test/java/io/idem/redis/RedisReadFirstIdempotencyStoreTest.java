package io.idem.redis;

import io.idem.spi.IdempotencyStore;
import io.idem.testkit.IdempotencyStoreContract;
import io.idem.testkit.SettableClock;
import org.junit.jupiter.api.AfterEach;

/**
 * The whole store contract again, with every claim reading the record first (the path a store takes
 * while most claims are duplicates): what the read answers must be what the script answers.
 */
class RedisReadFirstIdempotencyStoreTest extends IdempotencyStoreContract {

  private String prefix;

  @Override
  protected IdempotencyStore createStore(SettableClock clock) {
    prefix = RedisTesting.uniquePrefix("readfirst");
    return RedisIdempotencyStore.builder(RedisTesting.client(), RedisTesting.uri())
        .prefix(prefix)
        .clock(clock)
        .alwaysReadFirst()
        .build();
  }

  @AfterEach
  void deleteKeys() {
    if (prefix != null) {
      RedisTesting.deleteKeysOf(prefix);
    }
  }
}
