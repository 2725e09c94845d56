package io.idem.sqlite;

import io.idem.spi.IdempotencyStore;
import io.idem.spi.JobStore;
import io.idem.testkit.JobCrashContract;
import io.idem.testkit.servers.ParentWatch;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** Worker processes on one SQLite file, killed with kill -9 while they run 1,000 jobs. */
class SqliteJobCrashTest extends JobCrashContract {

  private SqliteDatabase db;

  private Path file() {
    return dir.resolve("idem.db");
  }

  private SqliteDatabase db() {
    if (db == null) {
      db = SqliteDatabase.open(file());
    }
    return db;
  }

  @Override
  protected JobStore parentJobStore() {
    return db().jobStore();
  }

  @Override
  protected IdempotencyStore parentIdempotencyStore() {
    return db().idempotencyStore();
  }

  @Override
  protected Class<?> childMain() {
    return Child.class;
  }

  @Override
  protected List<String> childArgs() {
    return List.of(file().toString());
  }

  @AfterEach
  void closeDb() {
    if (db != null) {
      db.close();
    }
  }

  /** A crash-test worker process: args are the worker id and the database file. */
  public static final class Child {
    private Child() {}

    public static void main(String[] args) throws Exception {
      ParentWatch.haltWhenParentEnds(); // no child outlives the test JVM
      SqliteDatabase db = SqliteDatabase.open(Path.of(args[1]));
      runWorker(db.jobStore(), db.idempotencyStore(), args[0]);
    }
  }
}
