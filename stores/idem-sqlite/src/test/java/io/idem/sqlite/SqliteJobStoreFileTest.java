package io.idem.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.StoreUnavailableException;
import io.idem.jdbc.SqlStatements;
import io.idem.job.ConflictPolicy;
import io.idem.job.EnqueueOutcome;
import io.idem.job.EnqueueResult;
import io.idem.job.Job;
import io.idem.job.JobQuery;
import io.idem.job.JobState;
import io.idem.job.MaintenanceResult;
import io.idem.spi.JobClaim;
import io.idem.spi.JobStore;
import io.idem.spi.JobTransitions;
import io.idem.spi.NewJob;
import io.idem.testkit.SettableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite job store beyond the contract suite: the partial unique index as the enforcement of
 * uniqueness, two databases (two connections, as two processes would have) racing on one file,
 * reopening, the SQL sweeps of maintenance against {@link JobTransitions#maintain}, query plans,
 * the busy timeout, and in-process wake-ups.
 */
class SqliteJobStoreFileTest {

  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final int ALL_STATES = JobState.mask(EnumSet.allOf(JobState.class));

  @TempDir Path dir;
  private final SettableClock clock = SettableClock.create();

  private SqliteDatabase open(Path file) {
    return SqliteDatabase.builder(file).clock(clock).open();
  }

  private static NewJob job(String queue, @Nullable String key) {
    return new NewJob(
        "job-" + UUID.randomUUID(),
        "t",
        queue,
        0,
        "{}",
        null,
        null,
        null,
        3,
        key,
        Set.of(),
        ConflictPolicy.REJECT);
  }

  private static NewJob job(
      String queue, @Nullable Instant runAt, @Nullable Instant expiresAt, int maxAttempts) {
    return new NewJob(
        "job-" + UUID.randomUUID(),
        "t",
        queue,
        0,
        "{}",
        runAt,
        expiresAt,
        null,
        maxAttempts,
        null,
        Set.of(),
        ConflictPolicy.REJECT);
  }

  private static JobClaim claimOf(String queue, int limit) {
    return new JobClaim(List.of(queue), Set.of(), "worker-" + queue, LEASE, limit);
  }

  private static Job claimOne(JobStore store, String queue) {
    List<Job> got = store.claim(claimOf(queue, 10));
    assertThat(got).as("claimed on %s", queue).hasSize(1);
    return got.get(0);
  }

  // ---- uniqueness is the index's --------------------------------------------------------------

  @Test
  void thePartialUniqueIndexRefusesASecondHolderWrittenByRawSql() throws Exception {
    Path file = dir.resolve("idem.db");
    try (SqliteDatabase db = open(file);
        Connection raw = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      Job holder = db.jobStore().enqueue(job("q", "user:1")).job();
      int defaultMask = JobState.mask(JobState.REQUIRED_UNIQUE_STATES);

      assertThatThrownBy(() -> insertRaw(raw, "intruder", "user:1", JobState.QUEUED, defaultMask))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("UNIQUE");
      assertThatThrownBy(() -> insertRaw(raw, "intruder", "user:1", JobState.RUNNING, ALL_STATES))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("UNIQUE");

      // a job that does not hold the key in its state is not refused; moving it into a holding
      // state is
      insertRaw(raw, "finished", "user:1", JobState.SUCCEEDED, defaultMask);
      insertRaw(raw, "other-key", "user:2", JobState.QUEUED, defaultMask);
      try (Statement s = raw.createStatement()) {
        assertThatThrownBy(
                () -> s.executeUpdate("UPDATE idem_jobs SET state = 1 WHERE id = 'finished'"))
            .isInstanceOf(SQLException.class)
            .hasMessageContaining("UNIQUE");
        assertThatThrownBy(
                () ->
                    s.executeUpdate(
                        "UPDATE idem_jobs SET unique_key = 'user:1' WHERE id = 'other-key'"))
            .isInstanceOf(SQLException.class)
            .hasMessageContaining("UNIQUE");
      }

      assertThat(db.jobStore().list(JobQuery.all().withUniqueKey("user:1")).jobs())
          .extracting(Job::id)
          .containsExactlyInAnyOrder(holder.id(), "finished");
      EnqueueResult again = db.jobStore().enqueue(job("q", "user:1"));
      assertThat(again.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
      assertThat(again.job()).isEqualTo(holder);
    }
  }

  private void insertRaw(Connection c, String id, String key, JobState state, int mask)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO idem_jobs (id, type, queue, priority, args, state, attempt, max_attempts,"
                + " token, run_at, unique_key, unique_states, created_at, updated_at)"
                + " VALUES (?, 't', 'q', 0, '{}', ?, 0, 3, 0, ?, ?, ?, ?, ?)")) {
      long now = clock.millis();
      ps.setString(1, id);
      ps.setInt(2, state.code());
      ps.setLong(3, now);
      ps.setString(4, key);
      ps.setInt(5, mask);
      ps.setLong(6, now);
      ps.setLong(7, now);
      ps.executeUpdate();
    }
  }

  /**
   * Eight threads, half on each of two databases of one file, enqueue the same key at once, 25
   * times over: only the file's write lock and the unique index keep them apart.
   */
  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void twoDatabasesOnOneFileEnqueueingOneKeyFromEightThreadsStoreExactlyOneJob() throws Exception {
    Path file = dir.resolve("idem.db");
    int threads = 8;
    int rounds = 25;
    try (SqliteDatabase a = open(file);
        SqliteDatabase b = open(file)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        for (int round = 0; round < rounds; round++) {
          String key = "key-" + round;
          CyclicBarrier start = new CyclicBarrier(threads);
          List<Future<EnqueueResult>> fs = new ArrayList<>();
          for (int t = 0; t < threads; t++) {
            JobStore store = (t % 2 == 0 ? a : b).jobStore();
            ConflictPolicy policy = ConflictPolicy.values()[t % 3];
            fs.add(
                pool.submit(
                    () -> {
                      start.await(10, TimeUnit.SECONDS);
                      NewJob n = job("q", key);
                      return store.enqueue(
                          new NewJob(
                              n.id(),
                              n.type(),
                              n.queue(),
                              n.priority(),
                              "{\"by\":\"" + Thread.currentThread().getName() + "\"}",
                              null,
                              null,
                              null,
                              3,
                              key,
                              Set.of(),
                              policy));
                    }));
          }
          List<EnqueueResult> rs = new ArrayList<>();
          for (Future<EnqueueResult> f : fs) {
            rs.add(f.get(30, TimeUnit.SECONDS));
          }
          assertThat(rs).filteredOn(EnqueueResult::enqueued).as("round %d", round).hasSize(1);
          String winner = rs.stream().filter(EnqueueResult::enqueued).findFirst().get().job().id();
          assertThat(rs).extracting(r -> r.job().id()).containsOnly(winner);
          assertThat(a.jobStore().list(JobQuery.all().withUniqueKey(key)).jobs())
              .extracting(Job::id)
              .containsExactly(winner);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(b.jobStore().stats().duplicatesPreventedTotal())
          .isEqualTo((long) rounds * (threads - 1));
    }
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void claimsFromTwoDatabasesOnOneFileNeverReturnTheSameJob() throws Exception {
    Path file = dir.resolve("idem.db");
    int jobs = 300;
    try (SqliteDatabase a = open(file);
        SqliteDatabase b = open(file)) {
      List<NewJob> batch = new ArrayList<>();
      for (int i = 0; i < jobs; i++) {
        batch.add(job("q", null));
      }
      assertThat(a.jobStore().enqueueAll(batch)).allMatch(EnqueueResult::enqueued);

      int threads = 4;
      Map<String, String> takenBy = new ConcurrentHashMap<>();
      AtomicInteger twice = new AtomicInteger();
      CyclicBarrier start = new CyclicBarrier(threads);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          JobStore store = (t % 2 == 0 ? a : b).jobStore();
          String worker = "w-" + t;
          fs.add(
              pool.submit(
                  () -> {
                    start.await(10, TimeUnit.SECONDS);
                    while (true) {
                      List<Job> got =
                          store.claim(new JobClaim(List.of("q"), Set.of(), worker, LEASE, 3));
                      if (got.isEmpty()) {
                        return null;
                      }
                      for (Job j : got) {
                        if (takenBy.putIfAbsent(j.id(), worker) != null) {
                          twice.incrementAndGet();
                        }
                        assertThat(j.token()).isEqualTo(1);
                        assertThat(store.complete(j.id(), j.token(), null)).isPresent();
                      }
                    }
                  }));
        }
        for (Future<?> f : fs) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(twice).hasValue(0);
      assertThat(takenBy).hasSize(jobs);
      assertThat(b.jobStore().stats().count(JobState.SUCCEEDED)).isEqualTo(jobs);
    }
  }

  // ---- persistence ----------------------------------------------------------------------------

  @Test
  void aReopenedDatabaseKeepsJobsTokensAndDuplicateCounts() {
    Path file = dir.resolve("idem.db");
    NewJob n = job("q", "user:1");
    Job released;
    try (SqliteDatabase db = open(file)) {
      JobStore store = db.jobStore();
      store.enqueue(n);
      assertThat(store.enqueue(job("q", "user:1")).outcome()).isEqualTo(EnqueueOutcome.REJECTED);
      Job first = claimOne(store, "q");
      assertThat(first.token()).isEqualTo(1);
      released = store.release(n.id(), first.token()).orElseThrow();
    }
    clock.advance(Duration.ofMinutes(1));

    try (SqliteDatabase db = open(file)) {
      JobStore store = db.jobStore();
      assertThat(store.get(n.id())).contains(released);
      assertThat(store.stats().duplicatesPrevented()).containsEntry("user:1", 1L);
      Job second = claimOne(store, "q");
      assertThat(second.token()).isEqualTo(2);
      assertThat(second.attempt()).isEqualTo(1);
      assertThat(store.complete(n.id(), 1, null)).as("the old token").isEmpty();
      assertThat(store.enqueue(job("q", "user:1")).outcome()).isEqualTo(EnqueueOutcome.REJECTED);
      assertThat(store.stats().duplicatesPrevented()).containsEntry("user:1", 2L);
    }

    try (SqliteDatabase db = open(file)) {
      JobStore store = db.jobStore();
      assertThat(store.get(n.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
      assertThat(store.complete(n.id(), 2, "\"ok\"").orElseThrow().result()).isEqualTo("\"ok\"");
      assertThat(store.enqueue(job("q", "user:1")).outcome()).isEqualTo(EnqueueOutcome.ENQUEUED);
    }
  }

  @Test
  void aWriteThroughOneDatabaseIsSeenAtOnceThroughAnother() {
    Path file = dir.resolve("idem.db");
    try (SqliteDatabase a = open(file);
        SqliteDatabase b = open(file)) {
      Job j = a.jobStore().enqueue(job("q", null)).job();
      Job running = claimOne(b.jobStore(), "q");
      assertThat(a.jobStore().get(j.id())).contains(running);
      Job done = a.jobStore().complete(j.id(), running.token(), "1").orElseThrow();
      assertThat(b.jobStore().get(j.id())).contains(done);
      assertThat(b.jobStore().complete(j.id(), running.token(), "2")).isEmpty();
    }
  }

  // ---- maintenance in SQL is JobTransitions.maintain ------------------------------------------

  /**
   * Jobs in every situation a pass can meet; after one pass each is exactly what {@link
   * JobTransitions#maintain} makes of it, counted as it counts: one change per job per pass (a
   * recovered job past its expiry is queued, not expired in the same pass), and the lease error
   * written by SQL equals {@link JobTransitions#leaseExpiredError}, with and without milliseconds.
   */
  @Test
  void aMaintenancePassChangesEachJobAsJobTransitionsMaintainDoes() {
    try (SqliteDatabase db = open(dir.resolve("idem.db"))) {
      JobStore store = db.jobStore();
      Instant t0 = clock.instant();
      Map<String, String> ids = new LinkedHashMap<>();
      ids.put(
          "recover-past-expiry", store.enqueue(job("a", null, t0.plusSeconds(40), 3)).job().id());
      claimOne(store, "a");
      clock.advance(Duration.ofMillis(500));
      ids.put("dead-lease", store.enqueue(job("b", null, null, 1)).job().id());
      claimOne(store, "b");
      ids.put("queued-expired", store.enqueue(job("d", null, t0.plusSeconds(40), 3)).job().id());
      ids.put("scheduled-due", store.enqueue(job("e", t0.plusSeconds(10), null, 3)).job().id());
      ids.put(
          "scheduled-expired",
          store.enqueue(job("f", t0.plusSeconds(10), t0.plusSeconds(40), 3)).job().id());
      ids.put("failed-due", store.enqueue(job("g", null, null, 3)).job().id());
      Job g = claimOne(store, "g");
      store.fail(g.id(), g.token(), "boom", t0.plusSeconds(20));
      ids.put("failed-later", store.enqueue(job("h", null, null, 3)).job().id());
      Job h = claimOne(store, "h");
      store.fail(h.id(), h.token(), "boom", t0.plusSeconds(100));
      ids.put("scheduled-later", store.enqueue(job("i", t0.plusSeconds(100), null, 3)).job().id());
      ids.put("succeeded", store.enqueue(job("j", null, null, 3)).job().id());
      Job jj = claimOne(store, "j");
      store.complete(jj.id(), jj.token(), null);
      clock.advance(Duration.ofMillis(19_750));
      ids.put("running-leased", store.enqueue(job("c", null, null, 3)).job().id());
      claimOne(store, "c");
      clock.set(t0.plusSeconds(45));

      Instant now = clock.instant();
      Map<String, Job> expected = new LinkedHashMap<>();
      int recovered = 0;
      int dead = 0;
      int expired = 0;
      int promoted = 0;
      for (Map.Entry<String, String> e : ids.entrySet()) {
        Job before = store.get(e.getValue()).orElseThrow();
        Job after = JobTransitions.maintain(before, now);
        if (after != null) {
          if (before.state() == JobState.RUNNING) {
            if (after.state() == JobState.DEAD) {
              dead++;
            } else {
              recovered++;
            }
          } else if (after.state() == JobState.EXPIRED) {
            expired++;
          } else {
            promoted++;
          }
        }
        expected.put(e.getKey(), after == null ? before : after);
      }

      MaintenanceResult m = store.maintain();

      for (Map.Entry<String, String> e : ids.entrySet()) {
        assertThat(store.get(e.getValue()).orElseThrow())
            .as(e.getKey())
            .isEqualTo(expected.get(e.getKey()));
      }
      assertThat(m).isEqualTo(new MaintenanceResult(recovered, dead, expired, promoted));
      assertThat(m).isEqualTo(new MaintenanceResult(1, 1, 2, 2));
      assertThat(expected.get("recover-past-expiry").lastError())
          .isEqualTo("lease of worker worker-a expired at 2026-01-01T00:00:30Z (attempt 1)");
      assertThat(expected.get("dead-lease").lastError())
          .isEqualTo("lease of worker worker-b expired at 2026-01-01T00:00:30.500Z (attempt 1)");
      assertThat(store.maintain()).as("the next pass").isEqualTo(new MaintenanceResult(0, 0, 1, 0));
      assertThat(store.get(ids.get("recover-past-expiry")).orElseThrow().state())
          .isEqualTo(JobState.EXPIRED);
    }
  }

  // ---- plans ----------------------------------------------------------------------------------

  @Test
  void claimsAndKeyLookupsUseTheirIndexes() throws Exception {
    Path file = dir.resolve("idem.db");
    open(file).close();
    SqlStatements sql = SqlStatements.load(SqliteJobStore.class, "io/idem/sqlite/jobs.sql");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      String claim = plan(c, sql.get("job.claim"));
      assertThat(claim).contains("idem_jobs_due").doesNotContain("TEMP B-TREE");
      assertThat(plan(c, sql.get("job.claim.queues"))).contains("idem_jobs_due");
      assertThat(plan(c, sql.get("job.select.holder"))).contains("idem_jobs_unique_holder");
      assertThat(plan(c, sql.get("job.pending"))).contains("idem_jobs_unique_holder");
      assertThat(plan(c, sql.get("maintain.recover.queue"))).contains("idem_jobs_lease");
      assertThat(plan(c, sql.get("maintain.expire"))).contains("idem_jobs_expiry");
      assertThat(plan(c, sql.get("maintain.promote"))).contains("idem_jobs_scheduled");
      assertThat(plan(c, sql.get("job.purge"))).contains("idem_jobs_finished");
      assertThat(plan(c, sql.get("job.list"))).contains("idem_jobs_created");
    }
  }

  private static String plan(Connection c, String sql) throws SQLException {
    StringBuilder b = new StringBuilder();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("EXPLAIN QUERY PLAN " + sql)) {
      while (rs.next()) {
        b.append(rs.getString(4)).append('\n');
      }
    }
    return b.toString();
  }

  // ---- failures, precision, wake-ups ----------------------------------------------------------

  @Test
  void anEnqueueWhileAnotherProcessHoldsTheFilePastTheBusyTimeoutFailsAndWritesNothing()
      throws Exception {
    Path file = dir.resolve("idem.db");
    try (SqliteDatabase db =
            SqliteDatabase.builder(file).clock(clock).busyTimeout(Duration.ofMillis(100)).open();
        Connection other = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = other.createStatement()) {
      NewJob n = job("q", "user:1");
      s.execute("BEGIN IMMEDIATE");
      assertThatThrownBy(() -> db.jobStore().enqueue(n))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining("busy")
          .hasMessageContaining("enqueue of job " + n.id());
      assertThatThrownBy(() -> db.jobStore().claim(claimOf("q", 1)))
          .isInstanceOf(StoreUnavailableException.class);
      s.execute("ROLLBACK");

      assertThat(db.jobStore().get(n.id())).isEmpty();
      assertThat(db.jobStore().enqueue(n).outcome()).isEqualTo(EnqueueOutcome.ENQUEUED);
    }
  }

  @Test
  void aClosedDatabasesJobStoreFailsWithStoreUnavailable() {
    SqliteDatabase db = open(dir.resolve("idem.db"));
    JobStore store = db.jobStore();
    assertThat(store).isSameAs(db.jobStore()).isInstanceOf(SqliteJobStore.class);
    store.close();
    assertThat(store.enqueue(job("q", null)).enqueued())
        .as("closing the store does nothing")
        .isTrue();
    db.close();
    assertThatThrownBy(() -> store.enqueue(job("q", null)))
        .isInstanceOf(StoreUnavailableException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void timesAreKeptToTheMillisecondBeforeTheStateIsDecided() {
    try (SqliteDatabase db = open(dir.resolve("idem.db"))) {
      JobStore store = db.jobStore();
      Instant almostNow = clock.instant().plusNanos(400_000);
      NewJob n =
          new NewJob(
              "precise",
              "t",
              "q",
              0,
              "{}",
              almostNow,
              clock.instant().plusNanos(5_000_900_000L),
              Duration.ofNanos(1_500_000),
              3,
              null,
              Set.of(),
              ConflictPolicy.REJECT);

      Job j = store.enqueue(n).job();

      assertThat(j.state()).isEqualTo(JobState.QUEUED);
      assertThat(j.runAt()).isEqualTo(clock.instant());
      assertThat(j.expiresAt()).isEqualTo(clock.instant().plusMillis(5000));
      assertThat(j.timeout()).isEqualTo(Duration.ofMillis(1));
      assertThat(store.get("precise")).contains(j);
      assertThat(claimOne(store, "q").id()).isEqualTo("precise");
    }
  }

  @Test
  void subscribersHearOfDueJobsThroughTheirOwnDatabaseOnly() throws Exception {
    Path file = dir.resolve("idem.db");
    try (SqliteDatabase a = open(file);
        SqliteDatabase b = open(file)) {
      AtomicInteger woken = new AtomicInteger();
      try (AutoCloseable sub = a.jobStore().subscribe(woken::incrementAndGet)) {
        b.jobStore().enqueue(job("q", null));
        assertThat(woken).as("another database is another process").hasValue(0);

        a.jobStore().enqueue(job("q", clock.instant().plusSeconds(5), null, 3));
        assertThat(woken).as("not due yet").hasValue(0);
        a.jobStore().enqueue(job("q", null));
        assertThat(woken).hasValue(1);

        clock.advance(Duration.ofSeconds(5));
        assertThat(a.jobStore().maintain().promoted()).isEqualTo(1);
        assertThat(woken).as("promoted").hasValue(2);
      }
    }
  }
}
