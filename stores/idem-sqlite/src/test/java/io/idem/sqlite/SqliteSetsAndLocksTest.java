package io.idem.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.StoreUnavailableException;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.LockAttempt;
import io.idem.spi.LockLease;
import io.idem.spi.LockStore;
import io.idem.spi.ProcessedSetStore;
import io.idem.spi.RecordState;
import io.idem.testkit.SettableClock;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processed sets and locks of a {@link SqliteDatabase} beyond the contract suites: the upgrade
 * of a version-1 file, persistence across reopening, sharing one file, and failures.
 */
class SqliteSetsAndLocksTest {

  private static final Duration LEASE = Duration.ofSeconds(30);

  @TempDir Path dir;
  private final SettableClock clock = SettableClock.create();

  private SqliteDatabase open(Path file) {
    return SqliteDatabase.builder(file).clock(clock).open();
  }

  @Test
  void aDatabaseOfSchemaVersion1IsMigratedToTheLatestAndKeepsItsRecords() throws Exception {
    Path file = dir.resolve("idem.db");
    long far = clock.millis() + Duration.ofDays(1).toMillis();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      // what Idem with schema version 1 left behind: the history table, V001 and one record
      s.execute(
          "CREATE TABLE idem_schema_history (version INTEGER NOT NULL PRIMARY KEY, "
              + "description VARCHAR(200) NOT NULL, applied_at BIGINT NOT NULL)");
      for (String sql : statementsOf("io/idem/sqlite/schema/V001__idempotency_records.sql")) {
        s.execute(sql);
      }
      s.execute("INSERT INTO idem_schema_history VALUES (1, 'idempotency_records', 0)");
      s.execute(
          "INSERT INTO idem_records (key, state, fingerprint, token, attempt, expires_at, "
              + "result_type, result, created_at, updated_at) VALUES ('old:1', 'COMPLETED', "
              + "'fp', 7, 1, "
              + far
              + ", 'java.lang.String', '\"old\"', 0, 0)");
      s.execute("UPDATE idem_sequences SET value = 7 WHERE name = 'token'");
      assertThat(versions(s)).containsExactly(1);
    }

    try (SqliteDatabase db = open(file)) {
      IdempotencyRecord old = db.idempotencyStore().get("old:1").orElseThrow();
      assertThat(old.state()).isEqualTo(RecordState.COMPLETED);
      assertThat(old.token()).isEqualTo(7);
      assertThat(db.lockStore().tryAcquire("nightly", "node-1", LEASE).acquired()).isTrue();
      assertThat(db.processedSetStore().add("user=1/saved", "job-1")).isTrue();
    }

    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      assertThat(versions(s)).containsExactly(1, 2, 3);
    }
  }

  @Test
  void locksSurviveReopeningAndTheirTokensKeepGrowing() {
    Path file = dir.resolve("idem.db");
    LockLease second;
    try (SqliteDatabase db = open(file)) {
      LockStore locks = db.lockStore();
      LockLease first = acquire(locks, "nightly", "node-1");
      assertThat(locks.release("nightly", first.token(), Duration.ZERO)).isTrue();
      second = acquire(locks, "nightly", "node-2");
      assertThat(second.token()).isGreaterThan(first.token());
    }

    try (SqliteDatabase db = open(file)) {
      LockStore locks = db.lockStore();
      assertThat(locks.holder("nightly")).contains(second);
      assertThat(locks.tryAcquire("nightly", "node-3", LEASE).lease()).isEqualTo(second);
      assertThat(locks.release("nightly", second.token(), Duration.ZERO)).isTrue();
    }

    try (SqliteDatabase db = open(file)) {
      LockStore locks = db.lockStore();
      assertThat(locks.holder("nightly")).as("released before closing").isEmpty();
      LockLease third = acquire(locks, "nightly", "node-3");
      assertThat(third.token()).isEqualTo(second.token() + 1);
      clock.advance(LEASE);
    }

    try (SqliteDatabase db = open(file)) {
      LockStore locks = db.lockStore();
      assertThat(locks.holder("nightly")).as("expired while closed").isEmpty();
      assertThat(acquire(locks, "nightly", "node-4").token()).isEqualTo(second.token() + 2);
    }
  }

  @Test
  void setsSurviveReopening() {
    Path file = dir.resolve("idem.db");
    Instant added = clock.instant();
    try (SqliteDatabase db = open(file)) {
      db.processedSetStore().add("user=1/saved", "job-1");
      db.processedSetStore().add("user=1/saved", "job-2");
    }
    clock.advance(Duration.ofMinutes(1));

    try (SqliteDatabase db = open(file)) {
      ProcessedSetStore sets = db.processedSetStore();
      assertThat(sets.members("user=1/saved")).containsExactlyInAnyOrder("job-1", "job-2");
      assertThat(sets.lastModified("user=1/saved")).contains(added);
      assertThat(sets.add("user=1/saved", "job-1")).isFalse();
    }
  }

  @Test
  void twoDatabasesOnOneFileShareLocksAndSets() {
    Path file = dir.resolve("idem.db");
    try (SqliteDatabase a = open(file);
        SqliteDatabase b = open(file)) {
      LockLease held = acquire(a.lockStore(), "nightly", "process-a");
      LockAttempt refused = b.lockStore().tryAcquire("nightly", "process-b", LEASE);
      assertThat(refused.acquired()).isFalse();
      assertThat(refused.lease()).isEqualTo(held);
      assertThat(b.lockStore().extend("nightly", held.token(), LEASE)).as("same token").isTrue();
      assertThat(a.lockStore().release("nightly", held.token(), Duration.ZERO)).isTrue();
      assertThat(acquire(b.lockStore(), "nightly", "process-b").token())
          .isEqualTo(held.token() + 1);

      assertThat(a.processedSetStore().add("s", "job-1")).isTrue();
      assertThat(b.processedSetStore().add("s", "job-1")).isFalse();
      assertThat(b.processedSetStore().clear("s")).isEqualTo(1);
      assertThat(a.processedSetStore().contains("s", "job-1")).isFalse();
    }
  }

  /**
   * The contract's fuzz runs on one database, whose steps take turns on its one connection; here
   * two databases (two connections, as two processes would have) race on one file, so only the
   * file's write lock ({@code BEGIN IMMEDIATE}) keeps acquisitions and adds apart.
   */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void twoConnectionsRacingOnOneFileNeverHaveTwoHoldersOrTwoWinners() throws Exception {
    Path file = dir.resolve("idem.db");
    int threads = 4;
    int rounds = 150;
    try (SqliteDatabase a = open(file);
        SqliteDatabase b = open(file)) {
      AtomicReference<String> holder = new AtomicReference<>();
      AtomicInteger overlaps = new AtomicInteger();
      AtomicInteger refusals = new AtomicInteger();
      AtomicInteger addWinners = new AtomicInteger();
      List<Long> tokens = Collections.synchronizedList(new ArrayList<>());
      CyclicBarrier start = new CyclicBarrier(threads);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          SqliteDatabase db = t % 2 == 0 ? a : b;
          String owner = "worker-" + t;
          workers.add(
              pool.submit(
                  () -> {
                    start.await(10, TimeUnit.SECONDS);
                    for (int r = 0; r < rounds; r++) {
                      if (db.processedSetStore().add("race", "job-" + r)) {
                        addWinners.incrementAndGet();
                      }
                      LockAttempt attempt = db.lockStore().tryAcquire("race", owner, LEASE);
                      if (!attempt.acquired()) {
                        refusals.incrementAndGet();
                        continue;
                      }
                      // the holder's mark covers its whole critical section, up to the release
                      if (!holder.compareAndSet(null, owner)) {
                        overlaps.incrementAndGet();
                      }
                      tokens.add(attempt.lease().token());
                      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
                      if (!holder.compareAndSet(owner, null)) {
                        overlaps.incrementAndGet();
                      }
                      if (!db.lockStore().release("race", attempt.lease().token(), Duration.ZERO)) {
                        overlaps.incrementAndGet();
                      }
                    }
                    return null;
                  }));
        }
        for (Future<?> w : workers) {
          w.get(50, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }

      assertThat(overlaps).hasValue(0);
      assertThat(refusals).as("tries refused while another held the lock").doesNotHaveValue(0);
      assertThat(addWinners).as("one winner per job").hasValue(rounds);
      assertThat(a.processedSetStore().members("race")).hasSize(rounds);
      assertThat(tokens).isNotEmpty().isSorted().doesNotHaveDuplicates();
      assertThat(b.lockStore().tryAcquire("race", "last", LEASE).lease().token())
          .isEqualTo(tokens.get(tokens.size() - 1) + 1);
    }
  }

  @Test
  void theDatabaseHasOneStoreOfEachKindAndClosingThemLeavesItOpen() {
    try (SqliteDatabase db = open(dir.resolve("idem.db"))) {
      assertThat(db.lockStore()).isSameAs(db.lockStore()).isInstanceOf(SqliteLockStore.class);
      assertThat(db.processedSetStore())
          .isSameAs(db.processedSetStore())
          .isInstanceOf(SqliteProcessedSetStore.class);
      db.lockStore().close();
      db.processedSetStore().close();

      assertThat(db.lockStore().tryAcquire("l", "node-1", LEASE).acquired()).isTrue();
      assertThat(db.processedSetStore().add("s", "job-1")).isTrue();
    }
  }

  @Test
  void aClosedDatabasesStoresFailWithStoreUnavailableNamingTheFile() {
    Path file = dir.resolve("idem.db");
    SqliteDatabase db = open(file);
    LockStore locks = db.lockStore();
    ProcessedSetStore sets = db.processedSetStore();
    db.close();

    assertThatThrownBy(() -> locks.tryAcquire("l", "node-1", LEASE))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining(file.toAbsolutePath().toString())
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> locks.holder("l")).isInstanceOf(StoreUnavailableException.class);
    assertThatThrownBy(() -> sets.add("s", "job-1"))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> sets.members("s")).isInstanceOf(StoreUnavailableException.class);
  }

  @Test
  void anAcquisitionWhileAnotherProcessHoldsTheFilePastTheBusyTimeoutFailsAndWritesNothing()
      throws Exception {
    Path file = dir.resolve("idem.db");
    try (SqliteDatabase db =
            SqliteDatabase.builder(file).clock(clock).busyTimeout(Duration.ofMillis(100)).open();
        Connection other = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = other.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      assertThatThrownBy(() -> db.lockStore().tryAcquire("nightly", "node-1", LEASE))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("busy")
          .hasMessageContaining("acquisition of lock nightly");
      s.execute("ROLLBACK");

      assertThat(db.lockStore().holder("nightly")).isEmpty();
      assertThat(acquire(db.lockStore(), "nightly", "node-1").token()).isEqualTo(1);
    }
  }

  @Test
  void badArgumentsAreRefusedNamingTheValueBeforeTouchingTheFile() {
    try (SqliteDatabase db = open(dir.resolve("idem.db"))) {
      LockStore locks = db.lockStore();
      assertThatThrownBy(() -> locks.tryAcquire("l", "node-1", Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("PT0S");
      LockLease lease = acquire(locks, "l", "node-1");
      assertThatThrownBy(() -> locks.extend("l", lease.token(), Duration.ofSeconds(-1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("PT-1S");
      assertThatThrownBy(() -> locks.release("l", lease.token(), Duration.ofSeconds(-1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("PT-1S");
      assertThat(locks.holder("l")).contains(lease);
    }
  }

  private static LockLease acquire(LockStore locks, String name, String owner) {
    LockAttempt a = locks.tryAcquire(name, owner, LEASE);
    assertThat(a.acquired()).as("acquired %s", name).isTrue();
    return a.lease();
  }

  private static List<Integer> versions(Statement s) throws Exception {
    List<Integer> versions = new ArrayList<>();
    try (ResultSet rs = s.executeQuery("SELECT version FROM idem_schema_history ORDER BY 1")) {
      while (rs.next()) {
        versions.add(rs.getInt(1));
      }
    }
    return versions;
  }

  /** The statements of a schema script: ';' ends one at the end of a line; '--' lines dropped. */
  private static List<String> statementsOf(String resource) throws IOException {
    String script;
    try (InputStream in =
        SqliteSetsAndLocksTest.class.getClassLoader().getResourceAsStream(resource)) {
      assertThat(in).as(resource).isNotNull();
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : script.split("\n")) {
      if (line.strip().startsWith("--") || line.isBlank()) {
        continue;
      }
      current.append(line).append('\n');
      if (line.strip().endsWith(";")) {
        statements.add(current.toString().strip().replaceAll(";$", ""));
        current.setLength(0);
      }
    }
    return statements;
  }
}
