package io.idem.testkit;

import io.idem.memory.InMemoryJobStore;
import io.idem.spi.JobStore;

/** The whole job-store contract against the in-memory store. */
class InMemoryJobStoreTest extends JobStoreContract {

  @Override
  protected JobStore createStore(SettableClock clock) {
    return InMemoryJobStore.create(clock);
  }
}
