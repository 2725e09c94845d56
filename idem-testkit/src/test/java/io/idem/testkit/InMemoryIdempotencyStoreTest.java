package io.idem.testkit;

import io.idem.memory.InMemoryIdempotencyStore;
import io.idem.spi.IdempotencyStore;

class InMemoryIdempotencyStoreTest extends IdempotencyStoreContract {
  @Override
  protected IdempotencyStore createStore(SettableClock clock) {
    return InMemoryIdempotencyStore.create(clock);
  }
}
