package io.idem.sqlite;

import io.idem.spi.LockStore;
import io.idem.testkit.LeasedLockStoreContract;
import io.idem.testkit.SettableClock;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class SqliteLockStoreTest extends LeasedLockStoreContract {
  @TempDir Path dir;

  @Override
  protected LockStore createStore(SettableClock clock) {
    return SqliteLockStore.open(dir.resolve("idem.db"), clock);
  }
}
