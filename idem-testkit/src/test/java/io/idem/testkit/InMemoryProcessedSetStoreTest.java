package io.idem.testkit;

import io.idem.memory.InMemoryProcessedSetStore;
import io.idem.spi.ProcessedSetStore;

class InMemoryProcessedSetStoreTest extends ProcessedSetContract {
  @Override
  protected ProcessedSetStore createStore(SettableClock clock) {
    return InMemoryProcessedSetStore.create(clock);
  }
}
