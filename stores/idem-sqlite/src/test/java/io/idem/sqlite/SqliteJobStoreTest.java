package io.idem.sqlite;

import io.idem.spi.JobStore;
import io.idem.testkit.JobStoreContract;
import io.idem.testkit.SettableClock;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class SqliteJobStoreTest extends JobStoreContract {
  @TempDir Path dir;

  @Override
  protected JobStore createStore(SettableClock clock) {
    return SqliteJobStore.open(dir.resolve("idem.db"), clock);
  }
}
