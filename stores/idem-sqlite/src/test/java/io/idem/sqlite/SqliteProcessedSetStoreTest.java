package io.idem.sqlite;

import io.idem.spi.ProcessedSetStore;
import io.idem.testkit.ProcessedSetContract;
import io.idem.testkit.SettableClock;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class SqliteProcessedSetStoreTest extends ProcessedSetContract {
  @TempDir Path dir;

  @Override
  protected ProcessedSetStore createStore(SettableClock clock) {
    return SqliteProcessedSetStore.open(dir.resolve("idem.db"), clock);
  }
}
