package io.idem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.idem.job.ConflictPolicy;
import io.idem.job.EnqueueOutcome;
import io.idem.job.EnqueueResult;
import io.idem.job.Job;
import io.idem.job.JobQuery;
import io.idem.job.JobState;
import io.idem.job.JobStateException;
import io.idem.job.JobStats;
import io.idem.job.MaintenanceResult;
import io.idem.job.PendingSummary;
import io.idem.spi.JobClaim;
import io.idem.spi.JobStore;
import io.idem.spi.JobTransitions;
import io.idem.spi.JobTransitions.EnqueueDecision;
import io.idem.spi.NewJob;
import io.idem.testkit.JobStoreContract;
import io.idem.testkit.SettableClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole job contract against a real PostgreSQL, one fresh schema per test; then what is
 * PostgreSQL's own: the statements against {@link JobTransitions}, the snapshot races of READ
 * COMMITTED, contention through two pools, LISTEN/NOTIFY between stores, and the indexes.
 */
class PostgresJobStoreTest extends JobStoreContract {

  private static final String COLUMNS =
      "id, type, queue, priority, args, state, attempt, max_attempts, token, run_at, expires_at,"
          + " timeout_ms, lease_until, worker_id, unique_key, unique_states, result, last_error,"
          + " created_at, updated_at, finished_at";

  private HikariDataSource pool;
  private final List<HikariDataSource> otherPools = new ArrayList<>();
  private final List<JobStore> otherStores = new ArrayList<>();
  private String schema;

  @Override
  protected JobStore createStore(SettableClock clock) {
    schema = PostgresTests.server().createSchema("idem_jobs");
    pool = PostgresTests.pool(20, Duration.ofSeconds(10));
    return PostgresJobStore.builder(pool).schema(schema).clock(clock).build();
  }

  @AfterEach
  void closePool() {
    otherStores.forEach(JobStore::close);
    if (store != null) {
      store.close(); // before its pool: a subscription holds a connection
    }
    otherPools.forEach(HikariDataSource::close);
    if (pool != null) {
      pool.close();
    }
  }

  /** Another store on the same schema, through its own pool. */
  private PostgresJobStore otherStore(SettableClock c) {
    HikariDataSource p = PostgresTests.pool(10, Duration.ofSeconds(10));
    otherPools.add(p);
    PostgresJobStore s =
        PostgresJobStore.builder(p).schema(schema).clock(c).applySchema(false).build();
    otherStores.add(s);
    return s;
  }

  // ---- the statements against JobTransitions ------------------------------------------------

  private static final String[] STEPS = {
    "claim",
    "heartbeat",
    "heartbeat-stale",
    "complete",
    "complete-stale",
    "fail-retry",
    "fail-dead",
    "fail-stale",
    "release",
    "release-stale",
    "cancel",
    "retry",
    "enqueue-id-REJECT",
    "enqueue-id-IGNORE",
    "enqueue-id-REPLACE",
    "enqueue-key-REJECT",
    "enqueue-key-IGNORE",
    "enqueue-key-REPLACE"
  };

  /**
   * Every kind of stored job (each state; run time, expiry and lease before, at and after now;
   * attempts left or used up; unique states with and without final states) with an id of {@code
   * ids}: the token is 41, each job has its own queue and unique key.
   */
  private static List<Job> everyKind(Instant now, Function<Integer, String> ids) {
    List<@Nullable Instant> around = new ArrayList<>();
    around.add(now.minusMillis(1));
    around.add(now);
    around.add(now.plusMillis(1));
    List<@Nullable Instant> expiries = new ArrayList<>();
    expiries.add(null);
    expiries.addAll(around);
    List<Set<JobState>> uniqueStates =
        List.of(
            JobState.REQUIRED_UNIQUE_STATES,
            union(JobState.REQUIRED_UNIQUE_STATES, EnumSet.of(JobState.SUCCEEDED)),
            EnumSet.allOf(JobState.class));
    List<Job> out = new ArrayList<>();
    for (JobState state : JobState.values()) {
      List<@Nullable Instant> leases = new ArrayList<>();
      leases.add(null);
      if (state == JobState.RUNNING) {
        leases.addAll(around);
      }
      for (int r = 0; r < around.size(); r++) {
        for (Instant expires : expiries) {
          for (Instant lease : leases) {
            for (int attempt : new int[] {1, 3}) {
              String id = ids.apply(out.size());
              Instant runAt = around.get(r);
              out.add(
                  new Job(
                      id,
                      "agree",
                      "q-" + id,
                      2,
                      "{\"k\":1}",
                      state,
                      attempt,
                      3,
                      41,
                      runAt,
                      expires,
                      attempt == 1 ? Duration.ofSeconds(5) : null,
                      lease,
                      "node-0",
                      "k-" + id,
                      uniqueStates.get(r),
                      state == JobState.SUCCEEDED ? "\"r\"" : null,
                      attempt == 3 ? "old error" : null,
                      now.minusSeconds(60),
                      now.minusSeconds(30),
                      state.isFinal() ? now.minusSeconds(30) : null));
            }
          }
        }
      }
    }
    return out;
  }

  private static Set<JobState> union(Set<JobState> a, Set<JobState> b) {
    EnumSet<JobState> s = EnumSet.copyOf(a);
    s.addAll(b);
    return s;
  }

  /**
   * Each statement gives the answer of {@link JobTransitions} for every kind of stored job: claim,
   * heartbeat, complete, fail and release with the holder's token and a stale one, cancel, retry,
   * and enqueue by id and by key under each conflict policy; then one maintenance pass over every
   * kind at once.
   */
  @Test
  @Timeout(120)
  void theStatementsAgreeWithJobTransitionsOnEveryKindOfStoredJob() throws Exception {
    Instant now = clock.instant();
    Map<String, List<Job>> byStep = new HashMap<>();
    List<Job> all = new ArrayList<>();
    for (String step : STEPS) {
      List<Job> kinds = everyKind(now, i -> step + "-" + i);
      byStep.put(step, kinds);
      all.addAll(kinds);
    }
    insert(all);
    assertThat(allRows()).as("stored as written").containsExactlyInAnyOrderElementsOf(all);
    int conflicts = 0;
    for (String step : STEPS) {
      for (Job before : byStep.get(step)) {
        conflicts += checkStep(step, before, now);
      }
    }
    assertThat(store.stats().duplicatesPreventedTotal()).isEqualTo(conflicts);

    execute("DELETE FROM %s.idem_jobs");
    List<Job> kinds = everyKind(now, i -> "maintain-" + i);
    insert(kinds);
    int recovered = 0;
    int dead = 0;
    int expired = 0;
    int promoted = 0;
    Map<String, Job> expected = new HashMap<>();
    for (Job j : kinds) {
      Job after = JobTransitions.maintain(j, now);
      expected.put(j.id(), after == null ? j : after);
      if (after == null) {
        continue;
      }
      if (j.state() == JobState.RUNNING) {
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
    assertThat(recovered * dead * expired * promoted).as("every change happens").isPositive();

    MaintenanceResult m = store.maintain();

    assertThat(m).isEqualTo(new MaintenanceResult(recovered, dead, expired, promoted));
    for (Job j : kinds) {
      assertThat(row(j.id())).as("maintain of %s", j).isEqualTo(expected.get(j.id()));
    }
    // a second pass: jobs recovered to QUEUED past their expiry expire now, nothing else changes
    int expiredAfterRecovery = 0;
    for (Job j : expected.values()) {
      Job after = JobTransitions.maintain(j, now);
      if (after != null) {
        assertThat(after.state()).as("second pass of %s", j).isEqualTo(JobState.EXPIRED);
        expiredAfterRecovery++;
      }
    }
    assertThat(store.maintain()).isEqualTo(new MaintenanceResult(0, 0, expiredAfterRecovery, 0));
    assertThat(store.maintain()).isEqualTo(MaintenanceResult.NONE);
  }

  /** Runs {@code step} on {@code before}; returns the duplicates it should have counted. */
  private int checkStep(String step, Job before, Instant now) throws Exception {
    String id = before.id();
    String what = step + " on " + before + " " + before.state() + " " + before;
    Duration lease = LEASE;
    switch (step) {
      case "claim" -> {
        List<Job> got =
            store.claim(new JobClaim(List.of(before.queue()), Set.of(), "node-1", lease, 10));
        List<Job> want =
            JobTransitions.isClaimable(before, now)
                ? List.of(JobTransitions.claim(before, "node-1", lease, now))
                : List.of();
        assertThat(got).as(what).isEqualTo(want);
        assertThat(row(id)).as(what).isEqualTo(want.isEmpty() ? before : want.get(0));
      }
      case "heartbeat", "heartbeat-stale" -> {
        long token = step.endsWith("stale") ? 40 : 41;
        Job want = JobTransitions.heartbeat(before, token, lease, now);
        assertThat(store.heartbeat(id, token, lease)).as(what).isEqualTo(want != null);
        assertThat(row(id)).as(what).isEqualTo(want != null ? want : before);
      }
      case "complete", "complete-stale" -> {
        long token = step.endsWith("stale") ? 40 : 41;
        Job want = JobTransitions.complete(before, token, "\"done\"", now);
        assertThat(store.complete(id, token, "\"done\""))
            .as(what)
            .isEqualTo(Optional.ofNullable(want));
        assertThat(row(id)).as(what).isEqualTo(want != null ? want : before);
      }
      case "fail-retry", "fail-dead", "fail-stale" -> {
        long token = step.endsWith("stale") ? 40 : 41;
        Instant retryAt = step.equals("fail-dead") ? null : now.plusSeconds(10);
        Job want = JobTransitions.fail(before, token, "boom", retryAt, now);
        assertThat(store.fail(id, token, "boom", retryAt))
            .as(what)
            .isEqualTo(Optional.ofNullable(want));
        assertThat(row(id)).as(what).isEqualTo(want != null ? want : before);
      }
      case "release", "release-stale" -> {
        long token = step.endsWith("stale") ? 40 : 41;
        Job want = JobTransitions.release(before, token, now);
        assertThat(store.release(id, token)).as(what).isEqualTo(Optional.ofNullable(want));
        assertThat(row(id)).as(what).isEqualTo(want != null ? want : before);
      }
      case "cancel" -> {
        Job want = JobTransitions.cancel(before, now);
        assertThat(store.cancel(id)).as(what).contains(want);
        assertThat(row(id)).as(what).isEqualTo(want);
      }
      case "retry" -> {
        Job want;
        try {
          want = JobTransitions.retry(before, now);
        } catch (JobStateException e) {
          want = null;
        }
        if (want == null) {
          assertThatThrownBy(() -> store.retry(id))
              .as(what)
              .isInstanceOf(JobStateException.class)
              .hasMessageContaining(before.state().toString());
          assertThat(row(id)).as(what).isEqualTo(before);
        } else {
          assertThat(store.retry(id)).as(what).contains(want);
          assertThat(row(id)).as(what).isEqualTo(want);
        }
      }
      default -> {
        boolean byId = step.startsWith("enqueue-id");
        ConflictPolicy policy = ConflictPolicy.valueOf(step.substring(step.lastIndexOf('-') + 1));
        NewJob n =
            new NewJob(
                byId ? id : id + "-new",
                "agree",
                before.queue(),
                9,
                "{\"v\":2}",
                now.plusSeconds(5),
                now.plusSeconds(3600),
                Duration.ofSeconds(7),
                5,
                before.uniqueKey(),
                Set.of(),
                policy);
        Job holder = before.holdsUniqueKey() ? before : null;
        EnqueueDecision want =
            JobTransitions.enqueue(byId ? before : null, byId ? null : holder, n, now);
        EnqueueResult got = store.enqueue(n);
        assertThat(got.outcome()).as(what).isEqualTo(want.outcome());
        assertThat(got.job()).as(what).isEqualTo(want.answer());
        if (want.outcome() == EnqueueOutcome.REJECTED) {
          JobState s = before.state();
          assertThat(got.pending())
              .as(what)
              .isEqualTo(
                  new PendingSummary(
                      n.uniqueKey(),
                      s == JobState.RUNNING ? 1 : 0,
                      s == JobState.SCHEDULED || s == JobState.FAILED ? 1 : 0,
                      s == JobState.QUEUED ? 1 : 0));
        } else {
          assertThat(got.pending()).as(what).isNull();
        }
        Job stored = want.write() != null && want.write().id().equals(id) ? want.write() : before;
        assertThat(row(id)).as(what).isEqualTo(stored);
        if (want.outcome() == EnqueueOutcome.ENQUEUED) {
          assertThat(row(n.id())).as(what).isEqualTo(want.write());
        }
        return want.outcome().isDuplicate() ? 1 : 0;
      }
    }
    return 0;
  }

  // ---- snapshot races -------------------------------------------------------------------------

  /**
   * An enqueue that waits for another session's uncommitted job with its key: when that commits,
   * the insert conflicts but the statement's snapshot has no such job, so the statement runs again
   * and answers with that job, counting one duplicate.
   */
  @Test
  void anEnqueueBlockedByAConcurrentInsertOfItsKeyAnswersWithThatJob() throws Exception {
    String key = newKey();
    Job theirs = JobTransitions.create(unique("t", key), clock.instant());

    EnqueueResult r = enqueueWhileUncommitted(c -> insertOn(c, theirs), unique("t", key));

    assertThat(r.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
    assertThat(r.job()).isEqualTo(theirs);
    assertThat(r.pending()).isEqualTo(new PendingSummary(key, 0, 0, 1));
    assertThat(store.stats().duplicatesPrevented()).containsExactly(Map.entry(key, 1L));
  }

  @Test
  void aReplaceBlockedByAConcurrentInsertOfItsKeyRewritesThatJob() throws Exception {
    String key = newKey();
    Job theirs = JobTransitions.create(unique("t", key), clock.instant());
    NewJob mine =
        withRun(withKey(job("t"), key, Set.of(), ConflictPolicy.REPLACE), null, 4, "{\"v\":9}");

    EnqueueResult r = enqueueWhileUncommitted(c -> insertOn(c, theirs), mine);

    assertThat(r.outcome()).isEqualTo(EnqueueOutcome.REPLACED);
    assertThat(r.job()).isEqualTo(JobTransitions.replace(theirs, mine, clock.instant()));
    assertThat(row(theirs.id())).isEqualTo(r.job());
    assertThat(store.get(mine.id())).isEmpty();
    assertThat(store.stats().duplicatesPrevented()).containsExactly(Map.entry(key, 1L));
  }

  @Test
  void anEnqueueBlockedByAConcurrentInsertOfItsIdAnswersWithThatJob() throws Exception {
    NewJob n = job("t");
    Job theirs = JobTransitions.create(withRun(n, null, 0, "{\"theirs\":1}"), clock.instant());

    EnqueueResult r = enqueueWhileUncommitted(c -> insertOn(c, theirs), n);

    assertThat(r.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
    assertThat(r.job()).isEqualTo(theirs);
    assertThat(r.pending()).isNull();
  }

  /**
   * A REPLACE whose snapshot saw the key's job waiting, while another session claimed it: the
   * update finds the newest version running and changes nothing, so the statement runs again and
   * rejects, counting one duplicate (not two).
   */
  @Test
  void aReplaceOfAJobClaimedAfterItsSnapshotIsRejectedWithTheRunningJob() throws Exception {
    String key = newKey();
    Job waiting = enqueued(unique("t", key));
    Job running = JobTransitions.claim(waiting, "node-9", LEASE, clock.instant());
    NewJob mine = withKey(job("t"), key, Set.of(), ConflictPolicy.REPLACE);

    EnqueueResult r =
        enqueueWhileUncommitted(
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "UPDATE \""
                          + schema
                          + "\".idem_jobs SET state = 2, attempt = ?, token = ?, lease_until = ?,"
                          + " worker_id = ?, updated_at = ? WHERE id = ?")) {
                ps.setInt(1, running.attempt());
                ps.setLong(2, running.token());
                ps.setLong(3, running.leaseUntil().toEpochMilli());
                ps.setString(4, running.workerId());
                ps.setLong(5, running.updatedAt().toEpochMilli());
                ps.setString(6, running.id());
                assertThat(ps.executeUpdate()).isEqualTo(1);
              }
            },
            mine);

    assertThat(r.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
    assertThat(r.job()).isEqualTo(running);
    assertThat(r.pending()).isEqualTo(new PendingSummary(key, 1, 0, 0));
    assertThat(row(waiting.id())).isEqualTo(running);
    assertThat(store.stats().duplicatesPrevented()).containsExactly(Map.entry(key, 1L));
  }

  /**
   * A batch whose second statement waits for another session's uncommitted job with its key: that
   * statement has to run again, so the batch is rolled back and runs statement by statement; its
   * first and third jobs are stored once.
   */
  @Test
  void aBatchBlockedByAConcurrentInsertRunsAgainStatementByStatement() throws Exception {
    String key = newKey();
    Job theirs = JobTransitions.create(unique("t", key), clock.instant());
    NewJob first = job("t");
    NewJob third = job("t");
    List<EnqueueResult> rs =
        whileUncommitted(
            c -> insertOn(c, theirs),
            () -> store.enqueueAll(List.of(first, unique("t", key), third)),
            "idem_jobs");

    assertThat(rs)
        .extracting(EnqueueResult::outcome)
        .containsExactly(EnqueueOutcome.ENQUEUED, EnqueueOutcome.REJECTED, EnqueueOutcome.ENQUEUED);
    assertThat(rs.get(1).job()).isEqualTo(theirs);
    assertThat(store.list(JobQuery.all()).jobs())
        .extracting(Job::id)
        .containsExactlyInAnyOrder(first.id(), theirs.id(), third.id());
    assertThat(store.stats().duplicatesPreventedTotal()).isEqualTo(1);
  }

  @FunctionalInterface
  private interface SqlWork {
    void run(Connection c) throws Exception;
  }

  private EnqueueResult enqueueWhileUncommitted(SqlWork theirs, NewJob mine) throws Exception {
    return whileUncommitted(theirs, () -> store.enqueue(mine), "idem_jobs");
  }

  /**
   * Runs {@code theirs} in an open transaction of another session, then {@code mine} in another
   * thread; once {@code mine} waits for a lock on {@code table}, commits {@code theirs}.
   */
  private <T> T whileUncommitted(
      SqlWork theirs, java.util.concurrent.Callable<T> mine, String table) throws Exception {
    ExecutorService other = Executors.newSingleThreadExecutor();
    try (Connection a = pool.getConnection()) {
      a.setAutoCommit(false);
      theirs.run(a);
      Future<T> f = other.submit(mine);
      await().atMost(Duration.ofSeconds(10)).until(() -> waitingForALock(table) == 1);
      a.commit();
      return f.get(10, TimeUnit.SECONDS);
    } finally {
      other.shutdownNow();
    }
  }

  private long waitingForALock(String table) throws Exception {
    return PostgresTests.queryLong(
        pool,
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            + " AND query LIKE '%\""
            + schema
            + "\"."
            + table
            + "%'");
  }

  // ---- contention -----------------------------------------------------------------------------

  /**
   * Eight threads, half on each of two pools (two stores), enqueue jobs with the same three unique
   * keys under every conflict policy: each key ends with exactly one job, which is the one enqueue
   * that stored it, and every other enqueue counted one duplicate of its key.
   */
  @Test
  @Timeout(120)
  void eightThreadsOnTwoPoolsEnqueueingFewKeysLeaveOneHolderPerKey() throws Exception {
    PostgresJobStore second = otherStore(clock);
    List<String> keys = List.of(newKey(), newKey(), newKey());
    int threads = 8;
    int perThread = 150;
    Map<String, AtomicInteger> stored = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService workers = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        JobStore s = t % 2 == 0 ? store : second;
        fs.add(
            workers.submit(
                () -> {
                  start.await(10, TimeUnit.SECONDS);
                  ThreadLocalRandom rnd = ThreadLocalRandom.current();
                  for (int i = 0; i < perThread; i++) {
                    String key = keys.get(rnd.nextInt(keys.size()));
                    ConflictPolicy policy = ConflictPolicy.values()[rnd.nextInt(3)];
                    NewJob n =
                        withRun(
                            withKey(job("t"), key, Set.of(), policy), null, 0, "{\"i\":" + i + "}");
                    attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                    EnqueueResult r = s.enqueue(n);
                    if (r.enqueued()) {
                      stored.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
                    } else {
                      assertThat(r.job().uniqueKey()).isEqualTo(key);
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get(100, TimeUnit.SECONDS);
      }
    } finally {
      workers.shutdownNow();
    }
    JobStats stats = store.stats();
    for (String key : keys) {
      List<Job> jobs = store.list(JobQuery.all().withUniqueKey(key)).jobs();
      assertThat(jobs).as(key).hasSize(1);
      assertThat(jobs.get(0).holdsUniqueKey()).isTrue();
      assertThat(stored.get(key)).as(key).hasValue(1);
      assertThat(stats.duplicatesPrevented().get(key))
          .as(key)
          .isEqualTo(attempts.get(key).get() - 1L);
    }
    assertThat(stats.duplicatesPreventedTotal()).isEqualTo(threads * perThread - keys.size());
  }

  /** Four threads on two pools claim 600 jobs a few at a time: none is taken twice. */
  @Test
  @Timeout(120)
  void skipLockedClaimsFromFourThreadsOnTwoPoolsNeverReturnAJobTwice() throws Exception {
    PostgresJobStore second = otherStore(clock);
    List<NewJob> batch = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      batch.add(withRun(job("t"), null, i % 3, "{}"));
    }
    assertThat(store.enqueueAll(batch)).allMatch(EnqueueResult::enqueued);
    Map<String, String> takenBy = new ConcurrentHashMap<>();
    AtomicInteger twice = new AtomicInteger();
    CyclicBarrier start = new CyclicBarrier(4);
    ExecutorService workers = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        JobStore s = t % 2 == 0 ? store : second;
        String worker = "w-" + t;
        fs.add(
            workers.submit(
                () -> {
                  start.await(10, TimeUnit.SECONDS);
                  while (true) {
                    List<Job> got =
                        s.claim(new JobClaim(List.of(QUEUE), Set.of(), worker, LEASE, 4));
                    if (got.isEmpty()) {
                      return null;
                    }
                    assertThat(got).isSortedAccordingTo(JobTransitions.CLAIM_ORDER);
                    for (Job j : got) {
                      if (takenBy.putIfAbsent(j.id(), worker) != null) {
                        twice.incrementAndGet();
                      }
                    }
                  }
                }));
      }
      for (Future<?> f : fs) {
        f.get(100, TimeUnit.SECONDS);
      }
    } finally {
      workers.shutdownNow();
    }
    assertThat(twice).hasValue(0);
    assertThat(takenBy).hasSize(600);
    assertThat(store.stats().count(JobState.RUNNING)).isEqualTo(600);
    assertThat(new java.util.HashSet<>(takenBy.values())).as("every worker took some").hasSize(4);
  }

  /** Through a pool whose connections start in REPEATABLE READ, the steps still never fail. */
  @Test
  @Timeout(120)
  void contendingThroughARepeatableReadPoolNeverFailsAndKeepsOneHolderPerKey() throws Exception {
    try (HikariDataSource rr = PostgresTests.repeatableReadPool(8)) {
      JobStore s =
          PostgresJobStore.builder(rr).schema(schema).clock(clock).applySchema(false).build();
      String key = newKey();
      AtomicInteger storedCount = new AtomicInteger();
      AtomicInteger done = new AtomicInteger();
      CyclicBarrier start = new CyclicBarrier(4);
      ExecutorService workers = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          String worker = "w-" + t;
          fs.add(
              workers.submit(
                  () -> {
                    start.await(10, TimeUnit.SECONDS);
                    for (int i = 0; i < 100; i++) {
                      if (s.enqueue(unique("t", key)).enqueued()) {
                        storedCount.incrementAndGet();
                      }
                      s.enqueue(job("t"));
                      for (Job j :
                          s.claim(new JobClaim(List.of(QUEUE), Set.of(), worker, LEASE, 2))) {
                        assertThat(s.complete(j.id(), j.token(), null)).isPresent();
                        done.incrementAndGet();
                      }
                      s.maintain();
                    }
                    return null;
                  }));
        }
        for (Future<?> f : fs) {
          f.get(100, TimeUnit.SECONDS);
        }
      } finally {
        workers.shutdownNow();
      }
      assertThat(storedCount.get()).isPositive();
      assertThat(done.get()).isPositive();
      assertThat(
              store.list(JobQuery.all().withUniqueKey(key).withLimit(1000)).jobs().stream()
                  .filter(Job::holdsUniqueKey))
          .hasSizeLessThanOrEqualTo(1);
      assertThat(rows(rr, "SHOW transaction_isolation")).containsOnly("repeatable read");
    }
  }

  // ---- enqueueAll -----------------------------------------------------------------------------

  /**
   * A batch of 300 jobs (conflicting ids and keys within the batch and with stored jobs, every
   * policy, large args that split the round trips) gives the same answers and the same rows as
   * enqueuing them one by one into another schema.
   */
  @Test
  @Timeout(120)
  void aBatchAnswersAsEnqueuingItsJobsOneByOne() throws Exception {
    String otherSchema = PostgresTests.server().createSchema("idem_jobs_ref");
    JobStore reference = PostgresJobStore.builder(pool).schema(otherSchema).clock(clock).build();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      keys.add(newKey());
    }
    List<String> ids = new ArrayList<>();
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    List<NewJob> seed = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      seed.add(withKey(job("t"), keys.get(i), Set.of(), ConflictPolicy.REJECT));
    }
    List<NewJob> batch = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      String id =
          rnd.nextInt(8) == 0 && !ids.isEmpty() ? ids.get(rnd.nextInt(ids.size())) : newId();
      ids.add(id);
      String key = rnd.nextInt(4) == 0 ? null : keys.get(rnd.nextInt(keys.size()));
      String args =
          rnd.nextInt(20) == 0 ? "\"" + "x".repeat(20_000 + i) + "\"" : "{\"i\":" + i + "}";
      Instant runAt = rnd.nextBoolean() ? null : clock.instant().plusSeconds(rnd.nextInt(3));
      NewJob n =
          withRun(
              withKey(withId(job("t"), id), key, Set.of(), ConflictPolicy.values()[rnd.nextInt(3)]),
              runAt,
              rnd.nextInt(3),
              args);
      batch.add(n);
    }
    seed.forEach(store::enqueue);
    seed.forEach(reference::enqueue);

    List<EnqueueResult> got = store.enqueueAll(batch);
    List<EnqueueResult> want = new ArrayList<>();
    for (NewJob n : batch) {
      want.add(reference.enqueue(n));
    }

    assertThat(got).hasSize(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      assertThat(got.get(i)).as("job %d", i).isEqualTo(want.get(i));
    }
    assertThat(store.list(JobQuery.all().withLimit(1000)).jobs())
        .isEqualTo(reference.list(JobQuery.all().withLimit(1000)).jobs());
    assertThat(store.stats()).isEqualTo(reference.stats());
  }

  // ---- LISTEN/NOTIFY --------------------------------------------------------------------------

  @Test
  void aSubscriberIsWokenWithinASecondByEnqueueReleaseAndRetryOfAnotherStore() throws Exception {
    PostgresJobStore second = otherStore(clock);
    AtomicInteger calls = new AtomicInteger();
    try (AutoCloseable sub = store.subscribe(calls::incrementAndGet)) {
      assertThat(((PostgresJobStore) store).listening()).isTrue();

      Job j = second.enqueue(job("t")).job();
      await().atMost(Duration.ofSeconds(1)).until(() -> calls.get() == 1);

      Job running = second.claim(claimOf(1)).get(0);
      second.release(j.id(), running.token());
      await().atMost(Duration.ofSeconds(1)).until(() -> calls.get() == 2);

      second.cancel(j.id());
      second.retry(j.id());
      await().atMost(Duration.ofSeconds(1)).until(() -> calls.get() == 3);

      assertThat(
              notificationsBeforeMarker(
                  () ->
                      second.enqueue(withRun(job("t"), clock.instant().plusSeconds(60), 0, "{}"))))
          .as("a job due later notifies nobody")
          .isEmpty();
      // the marker itself wakes the subscriber: its call comes after any the enqueue caused
      await().atMost(Duration.ofSeconds(1)).until(() -> calls.get() >= 4);
      assertThat(calls).as("a job due later wakes nobody").hasValue(4);
      clock.advance(Duration.ofSeconds(60));
      assertThat(second.maintain().promoted()).isEqualTo(1);
      await().atMost(Duration.ofSeconds(1)).until(() -> calls.get() == 5);
    }
    assertThat(((PostgresJobStore) store).listening()).isFalse();
  }

  /**
   * The notifications on the store's channel caused by {@code action}: a LISTEN connection of the
   * test's own is opened, the action runs, then a unique marker is sent with NOTIFY; PostgreSQL
   * delivers notifications in commit order, so all that arrives before the marker came from the
   * action.
   */
  private List<String> notificationsBeforeMarker(Runnable action) throws Exception {
    String channel = ((PostgresJobStore) store).channel();
    try (Connection listen = pool.getConnection();
        Connection notify = pool.getConnection()) {
      listen.setAutoCommit(true);
      notify.setAutoCommit(true);
      try (java.sql.Statement st = listen.createStatement()) {
        st.execute("LISTEN \"" + channel + "\"");
      }
      action.run();
      String marker = "marker-" + UUID.randomUUID();
      try (java.sql.PreparedStatement st = notify.prepareStatement("SELECT pg_notify(?, ?)")) {
        st.setString(1, channel);
        st.setString(2, marker);
        st.execute();
      }
      org.postgresql.PGConnection pg = listen.unwrap(org.postgresql.PGConnection.class);
      List<String> before = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        org.postgresql.PGNotification[] got = pg.getNotifications(500);
        for (org.postgresql.PGNotification n :
            got == null ? new org.postgresql.PGNotification[0] : got) {
          if (n.getParameter().equals(marker)) {
            try (java.sql.Statement st = listen.createStatement()) {
              st.execute("UNLISTEN \"" + channel + "\"");
            }
            return before;
          }
          before.add(n.getParameter());
        }
      }
      throw new AssertionError("the marker " + marker + " did not come back within 10 s");
    }
  }

  @Test
  void aListenerThatThrowsDoesNotStopTheOthers() throws Exception {
    CountDownLatch woken = new CountDownLatch(2);
    try (AutoCloseable bad =
            store.subscribe(
                () -> {
                  woken.countDown();
                  throw new IllegalStateException("listener bug");
                });
        AutoCloseable good = store.subscribe(woken::countDown)) {
      enqueued(job("t"));
      assertThat(woken.await(5, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void theChannelIsNamedAfterTheSchemaAndFitsPostgres() {
    assertThat(((PostgresJobStore) store).channel()).isEqualTo("idem_jobs_" + schema);
    String a = "s".repeat(60) + "_a";
    String b = "s".repeat(60) + "_b";
    assertThat(JobNotifications.channel(a)).hasSize(63).startsWith("idem_jobs_sss");
    assertThat(JobNotifications.channel(a))
        .isNotEqualTo(JobNotifications.channel(b))
        .isEqualTo(JobNotifications.channel(a));
    assertThat(JobNotifications.channel("x".repeat(53))).isEqualTo("idem_jobs_" + "x".repeat(53));
  }

  // ---- indexes, text, messages ----------------------------------------------------------------

  /** The claim, the key lookups and the list are served by their indexes (sequential scans off). */
  @Test
  void theStatementsAreServedByTheirIndexes() throws Exception {
    assertThat(plan("job.claim")).contains("idem_jobs_due");
    assertThat(plan("job.pending")).contains("idem_jobs_unique_key");
    assertThat(plan("job.enqueue")).contains("idem_jobs_unique_key").contains("idem_jobs_pkey");
    assertThat(plan("job.holder")).contains("idem_jobs_unique_key");
    assertThat(plan("job.maintain"))
        .contains("idem_jobs_lease")
        .contains("idem_jobs_expiry")
        .contains("idem_jobs_run_at");
    assertThat(plan("job.purge")).contains("idem_jobs_created");
    assertThat(plan("job.list")).contains("idem_jobs_created");
    assertThat(plan("job.list_key")).contains("idem_jobs_unique_key").contains("idem_jobs_by_key");
    for (String fenced :
        List.of(
            "job.complete_fenced", "job.complete", "job.heartbeat", "job.fail", "job.release")) {
      // never the partial index of running jobs, whose dead entries a walk would visit
      assertThat(plan(fenced))
          .as(fenced)
          .contains("idem_jobs_pkey")
          .doesNotContain("idem_jobs_lease");
    }
    assertThat(plan("job.enqueue_bulk")).contains("idem_jobs");
  }

  /** The generic plan of {@code statement} with sequential scans disabled. */
  /**
   * A queue table's statistics are often stale: taken when every job had finished, before a burst
   * of enqueues. They say that few jobs are due, and a plan made on them (a bitmap scan and a sort
   * of a few rows, in estimate) sorts every due job at each claim. The claim runs with bitmap scans
   * and sorts disabled for its transaction and is planned at each execution: it walks the due index
   * in order and stops at its limit.
   */
  @Test
  void aClaimWalksTheDueIndexInOrderEvenOnStaleStatistics() throws Exception {
    for (int i = 0; i < 20; i++) {
      Job j = enqueued(job("t"));
      Job running = claimOne(j.id());
      assertThat(store.complete(j.id(), running.token(), null)).isPresent();
    }
    try (Connection c = pool.getConnection();
        Statement st = c.createStatement()) {
      st.execute("ANALYZE " + schema + ".idem_jobs"); // every job SUCCEEDED
      st.execute(
          "INSERT INTO "
              + schema
              + ".idem_jobs (id, type, queue, priority, args, state, attempt, max_attempts, token,"
              + " run_at, unique_key, unique_states, created_at, updated_at)"
              + " SELECT 'bulk-' || g, 't', 'default', 0, '{}', 1, 0, 3, 0, g, 'k-' || g, 23, g, g"
              + " FROM generate_series(1, 30000) AS g");
    }
    NamedSql raw = NamedSql.load(NamedSql.JOBS, "job.claim", schema);
    Map<String, String> values =
        Map.of(
            "now", "" + clock.millis(),
            "queues", "'{default}'",
            "types", "'{t}'",
            "limit", "32",
            "lease_until", "" + (clock.millis() + 30_000),
            "worker_id", "'w'");

    String plain = planFor(raw, values, "");
    String claimed = planFor(raw, values, PostgresJobStore.CLAIM_PLANNER_SETTINGS);

    assertThat(plain).as("the plan the statistics lead to").contains("Sort Method");
    assertThat(claimed)
        .contains("Index Scan using idem_jobs_due")
        .doesNotContain("Bitmap")
        .doesNotContain("external merge");
    // and the store's claims are planned per execution, where other statements run as often became
    // named server-side statements with a cached plan (pgjdbc: after 5 runs)
    Job any = enqueued(job("other"));
    for (int i = 0; i < 8; i++) {
      assertThat(store.get(any.id())).isPresent();
      assertThat(store.claim(new JobClaim(List.of("default"), Set.of("t"), "w", LEASE, 32)))
          .hasSize(32);
    }
    List<String> prepared = new ArrayList<>();
    try (Connection c = pool.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT statement FROM pg_prepared_statements")) {
      while (rs.next()) {
        prepared.add(rs.getString(1));
      }
    }
    assertThat(prepared).anyMatch(q -> q.contains("idem_jobs\n WHERE id = $1"));
    assertThat(prepared).noneMatch(q -> q.contains("due AS MATERIALIZED"));
  }

  /**
   * EXPLAIN ANALYZE of {@code sql} executed with {@code values} (literals) after {@code settings},
   * in a transaction that is rolled back.
   */
  private String planFor(NamedSql sql, Map<String, String> values, String settings)
      throws Exception {
    String text = sql.sql();
    StringBuilder numbered = new StringBuilder();
    int n = 0;
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      numbered.append(ch == '?' ? "$" + ++n : String.valueOf(ch));
    }
    List<String> args = new ArrayList<>();
    for (String p : sql.parameters()) {
      args.add(values.get(p));
    }
    try (Connection c = pool.getConnection();
        Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      try {
        for (String setting : settings.split(";")) {
          if (!setting.isBlank()) {
            st.execute(setting);
          }
        }
        st.execute("PREPARE grown_claim AS " + numbered);
        StringBuilder out = new StringBuilder();
        try (ResultSet rs =
            st.executeQuery(
                "EXPLAIN (ANALYZE, COSTS OFF) EXECUTE grown_claim("
                    + String.join(", ", args)
                    + ")")) {
          while (rs.next()) {
            out.append(rs.getString(1)).append('\n');
          }
        }
        return out.toString();
      } finally {
        c.rollback();
        st.execute("DEALLOCATE grown_claim");
        c.setAutoCommit(true);
      }
    }
  }

  private String plan(String statement) throws Exception {
    String sql = NamedSql.load(NamedSql.JOBS, statement, schema).sql();
    StringBuilder numbered = new StringBuilder();
    int n = 0;
    for (int i = 0; i < sql.length(); i++) {
      char ch = sql.charAt(i);
      numbered.append(ch == '?' ? "$" + ++n : String.valueOf(ch));
    }
    // the simple query protocol: the server sees the $n markers without a Bind message
    String url = PostgresTests.server().jdbcUrl();
    url += (url.contains("?") ? "&" : "?") + "preferQueryMode=simple";
    try (Connection c =
            java.sql.DriverManager.getConnection(
                url, PostgresTests.server().user(), PostgresTests.server().password());
        Statement s = c.createStatement()) {
      s.execute("SET enable_seqscan = off");
      StringBuilder out = new StringBuilder();
      try (ResultSet rs = s.executeQuery("EXPLAIN (GENERIC_PLAN) " + numbered)) {
        while (rs.next()) {
          out.append(rs.getString(1)).append('\n');
        }
      }
      return out.toString();
    }
  }

  @Test
  void namesWithNulAreRefusedForNewJobsAndMatchNothingOtherwise() {
    NewJob ok = job("t");
    assertThatThrownBy(() -> store.enqueue(withId(ok, "a\u0000b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("id");
    assertThatThrownBy(() -> store.enqueue(withRun(ok, null, 0, "\"\u0000\"")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("args");
    assertThatThrownBy(() -> store.enqueueAll(List.of(ok, withQueue(ok, "q\u0000"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("queue");
    assertThat(store.get(ok.id())).as("nothing of a refused batch is stored").isEmpty();
    assertThatThrownBy(
            () -> store.claim(new JobClaim(List.of(QUEUE), Set.of(), "w\u0000", LEASE, 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("workerId");

    Job j = enqueued(ok);
    assertThat(store.claim(new JobClaim(List.of("q\u0000"), Set.of(), "w", LEASE, 1))).isEmpty();
    assertThat(store.claim(new JobClaim(List.of(QUEUE), Set.of("t\u0000"), "w", LEASE, 1)))
        .isEmpty();
    assertThat(store.get("a\u0000")).isEmpty();
    assertThat(store.cancel("a\u0000")).isEmpty();
    assertThat(store.retry("a\u0000")).isEmpty();
    assertThat(store.pending("k\u0000")).isEqualTo(PendingSummary.none("k\u0000"));
    assertThat(store.list(JobQuery.all().withType("t\u0000")).jobs()).isEmpty();

    Job running = claimOne(j.id());
    assertThatThrownBy(() -> store.complete(j.id(), running.token(), "\"\u0000\""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("result");
    Job failed = store.fail(j.id(), running.token(), "bad\u0000byte", null).orElseThrow();
    assertThat(failed.lastError()).isEqualTo("bad\uFFFDbyte");
  }

  @Test
  void timesAndTimeoutsAreKeptToTheMillisecond() {
    Instant runAt = clock.instant().plusMillis(1);
    Instant expires = clock.instant().plusSeconds(3600).plusMillis(999);
    NewJob n =
        withLimits(withRun(job("t"), runAt, 0, "{}"), 3, expires, Duration.ofMillis(123_457));
    Job j = enqueued(n);
    assertThat(j.runAt()).isEqualTo(runAt);
    assertThat(j.state()).isEqualTo(JobState.SCHEDULED);
    assertThat(j.expiresAt()).isEqualTo(expires);
    assertThat(j.timeout()).isEqualTo(Duration.ofMillis(123_457));
    assertThat(store.get(j.id())).contains(j);
  }

  @Test
  void toStringNamesTheServerAndSchema() {
    assertThat(store.toString())
        .startsWith("PostgresJobStore[")
        .contains(PostgresTests.server().hostPort())
        .contains("schema " + schema);
  }

  // ---- rows -----------------------------------------------------------------------------------

  private void execute(String sql) throws Exception {
    PostgresTests.execute(pool, String.format(sql, "\"" + schema + "\""));
  }

  private static List<String> rows(javax.sql.DataSource ds, String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  private void insert(List<Job> jobs) throws Exception {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement(insertSql())) {
        for (Job j : jobs) {
          bind(ps, j);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      c.commit();
    }
  }

  private void insertOn(Connection c, Job j) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(insertSql())) {
      bind(ps, j);
      ps.executeUpdate();
    }
  }

  private String insertSql() {
    return "INSERT INTO \""
        + schema
        + "\".idem_jobs ("
        + COLUMNS
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  }

  private static void bind(PreparedStatement ps, Job j) throws Exception {
    ps.setString(1, j.id());
    ps.setString(2, j.type());
    ps.setString(3, j.queue());
    ps.setInt(4, j.priority());
    ps.setString(5, j.args());
    ps.setInt(6, j.state().code());
    ps.setInt(7, j.attempt());
    ps.setInt(8, j.maxAttempts());
    ps.setLong(9, j.token());
    ps.setLong(10, j.runAt().toEpochMilli());
    setMillis(ps, 11, j.expiresAt());
    if (j.timeout() == null) {
      ps.setNull(12, Types.BIGINT);
    } else {
      ps.setLong(12, j.timeout().toMillis());
    }
    setMillis(ps, 13, j.leaseUntil());
    ps.setString(14, j.workerId());
    ps.setString(15, j.uniqueKey());
    ps.setInt(16, JobState.mask(j.uniqueStates()));
    ps.setString(17, j.result());
    ps.setString(18, j.lastError());
    ps.setLong(19, j.createdAt().toEpochMilli());
    ps.setLong(20, j.updatedAt().toEpochMilli());
    setMillis(ps, 21, j.finishedAt());
  }

  private static void setMillis(PreparedStatement ps, int i, @Nullable Instant t) throws Exception {
    if (t == null) {
      ps.setNull(i, Types.BIGINT);
    } else {
      ps.setLong(i, t.toEpochMilli());
    }
  }

  private List<Job> allRows() throws Exception {
    List<Job> out = new ArrayList<>();
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + COLUMNS + " FROM \"" + schema + "\".idem_jobs")) {
      while (rs.next()) {
        out.add(JobRows.job(rs));
      }
    }
    return out;
  }

  private @Nullable Job row(String id) throws Exception {
    try (Connection c = pool.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT " + COLUMNS + " FROM \"" + schema + "\".idem_jobs WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? JobRows.job(rs) : null;
      }
    }
  }
}
