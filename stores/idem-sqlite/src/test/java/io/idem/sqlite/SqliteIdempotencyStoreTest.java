package io.idem.sqlite;

import io.idem.spi.IdempotencyStore;
import io.idem.testkit.IdempotencyStoreContract;
import io.idem.testkit.SettableClock;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class SqliteIdempotencyStoreTest extends IdempotencyStoreContract {
  @TempDir Path dir;

  @Override
  protected IdempotencyStore createStore(SettableClock clock) {
    return SqliteIdempotencyStore.open(dir.resolve("idem.db"), clock);
  }
}
