package io.idem.testkit;

import io.idem.memory.InMemoryLockStore;
import io.idem.spi.LockStore;

class InMemoryLockStoreTest extends LeasedLockStoreContract {
  @Override
  protected LockStore createStore(SettableClock clock) {
    return InMemoryLockStore.create(clock);
  }
}
