package io.idem.tiered;

import io.idem.spi.IdempotencyStore;
import io.idem.testkit.IdempotencyStoreContract;
import io.idem.testkit.SettableClock;
import org.junit.jupiter.api.AfterEach;

/** The whole contract, on real PostgreSQL behind real Redis. */
class TieredIdempotencyStoreTest extends IdempotencyStoreContract {

  private final Backends backends = new Backends();

  @Override
  protected IdempotencyStore createStore(SettableClock clock) {
    return backends.tiered(backends.postgres(clock), clock).build();
  }

  @AfterEach
  void closeBackends() {
    backends.close();
  }
}
