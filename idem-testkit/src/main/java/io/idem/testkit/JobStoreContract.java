package io.idem.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.idem.job.ConflictPolicy;
import io.idem.job.EnqueueOutcome;
import io.idem.job.EnqueueResult;
import io.idem.job.Job;
import io.idem.job.JobPage;
import io.idem.job.JobQuery;
import io.idem.job.JobState;
import io.idem.job.JobStateException;
import io.idem.job.JobStats;
import io.idem.job.MaintenanceResult;
import io.idem.job.PendingSummary;
import io.idem.job.ReusePolicy;
import io.idem.job.UniqueConflictException;
import io.idem.memory.InMemoryJobStore;
import io.idem.spi.JobClaim;
import io.idem.spi.JobCompletion;
import io.idem.spi.JobStore;
import io.idem.spi.NewJob;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link JobStore}: every job store's test extends this class and says how to build
 * the store. It covers enqueue (states, fields kept verbatim, id and unique-key conflicts under
 * each {@link ConflictPolicy}, unique states and reuse of finished keys), claims (due only, order,
 * queues and types, fencing tokens), heartbeat, complete, fail with retry or death, release, lease
 * recovery, expiry, cancel, manual retry, listing with cursors, pending summaries, stats, purge,
 * batches, wake-ups, and a fuzz: producers enqueue the same unique keys while workers run, and a
 * checker sees at most one holder per key at every look and no job lost.
 */
public abstract class JobStoreContract {

  protected static final Duration LEASE = Duration.ofSeconds(30);
  protected static final String QUEUE = "default";

  protected SettableClock clock;
  protected JobStore store;

  /** A new, empty store on {@code clock}; closed after each test. */
  protected abstract JobStore createStore(SettableClock clock) throws Exception;

  @BeforeEach
  void setUpJobStore() throws Exception {
    clock = SettableClock.create();
    store = createStore(clock);
  }

  @AfterEach
  void closeJobStore() {
    if (store != null) {
      store.close();
    }
  }

  // ---- building jobs ------------------------------------------------------------------------

  /** A fresh id. */
  protected static String newId() {
    return "job-" + UUID.randomUUID();
  }

  /** A fresh unique key. */
  protected static String newKey() {
    return "key-" + UUID.randomUUID();
  }

  /** A plain job of {@code type}, due now, on the default queue, 3 attempts. */
  protected static NewJob job(String type) {
    return new NewJob(
        newId(),
        type,
        QUEUE,
        0,
        "{\"n\":1}",
        null,
        null,
        null,
        3,
        null,
        Set.of(),
        ConflictPolicy.REJECT);
  }

  /** {@link #job} with unique key {@code key}, the default states, rejecting conflicts. */
  protected static NewJob unique(String type, String key) {
    return withKey(job(type), key, Set.of(), ConflictPolicy.REJECT);
  }

  protected static NewJob withKey(
      NewJob j, @Nullable String key, Set<JobState> states, ConflictPolicy onConflict) {
    return new NewJob(
        j.id(),
        j.type(),
        j.queue(),
        j.priority(),
        j.args(),
        j.runAt(),
        j.expiresAt(),
        j.timeout(),
        j.maxAttempts(),
        key,
        states,
        onConflict);
  }

  protected static NewJob withId(NewJob j, String id) {
    return new NewJob(
        id,
        j.type(),
        j.queue(),
        j.priority(),
        j.args(),
        j.runAt(),
        j.expiresAt(),
        j.timeout(),
        j.maxAttempts(),
        j.uniqueKey(),
        j.uniqueStates(),
        j.onConflict());
  }

  protected static NewJob withRun(NewJob j, @Nullable Instant runAt, int priority, String args) {
    return new NewJob(
        j.id(),
        j.type(),
        j.queue(),
        priority,
        args,
        runAt,
        j.expiresAt(),
        j.timeout(),
        j.maxAttempts(),
        j.uniqueKey(),
        j.uniqueStates(),
        j.onConflict());
  }

  protected static NewJob withQueue(NewJob j, String queue) {
    return new NewJob(
        j.id(),
        j.type(),
        queue,
        j.priority(),
        j.args(),
        j.runAt(),
        j.expiresAt(),
        j.timeout(),
        j.maxAttempts(),
        j.uniqueKey(),
        j.uniqueStates(),
        j.onConflict());
  }

  protected static NewJob withLimits(
      NewJob j, int maxAttempts, @Nullable Instant expiresAt, @Nullable Duration timeout) {
    return new NewJob(
        j.id(),
        j.type(),
        j.queue(),
        j.priority(),
        j.args(),
        j.runAt(),
        expiresAt,
        timeout,
        maxAttempts,
        j.uniqueKey(),
        j.uniqueStates(),
        j.onConflict());
  }

  /** {@code j} under another id and token (a job no store has, or a claim that lost it). */
  protected static Job withIdAndToken(Job j, String id, long token) {
    return new Job(
        id,
        j.type(),
        j.queue(),
        j.priority(),
        j.args(),
        j.state(),
        j.attempt(),
        j.maxAttempts(),
        token,
        j.runAt(),
        j.expiresAt(),
        j.timeout(),
        j.leaseUntil(),
        j.workerId(),
        j.uniqueKey(),
        j.uniqueStates(),
        j.result(),
        j.lastError(),
        j.createdAt(),
        j.updatedAt(),
        j.finishedAt());
  }

  protected JobClaim claimOf(int limit) {
    return new JobClaim(List.of(QUEUE), Set.of(), "worker-1", LEASE, limit);
  }

  protected Job enqueued(NewJob j) {
    EnqueueResult r = store.enqueue(j);
    assertThat(r.outcome()).as("enqueue of %s", j.id()).isEqualTo(EnqueueOutcome.ENQUEUED);
    return r.job();
  }

  /** Claims exactly {@code id} (the only due job of its queue in the test). */
  protected Job claimOne(String id) {
    List<Job> claimed = store.claim(claimOf(1));
    assertThat(claimed).extracting(Job::id).containsExactly(id);
    return claimed.get(0);
  }

  private Job stored(String id) {
    return store.get(id).orElseThrow(() -> new AssertionError("no job " + id));
  }

  // ---- enqueue --------------------------------------------------------------------------------

  @Test
  void aJobDueNowIsQueuedWithEveryFieldKeptVerbatim() {
    String args = "{\"user\":123,\"name\":\"Zoë 🚀\",\"nested\":{\"b\":[1,2.50,null],\"a\":true}}";
    Instant expires = clock.instant().plus(Duration.ofHours(2));
    NewJob n =
        new NewJob(
            newId(),
            "email.send",
            "mail",
            7,
            args,
            null,
            expires,
            Duration.ofSeconds(90),
            4,
            newKey(),
            EnumSet.of(JobState.SUCCEEDED),
            ConflictPolicy.REJECT);

    EnqueueResult r = store.enqueue(n);

    assertThat(r.outcome()).isEqualTo(EnqueueOutcome.ENQUEUED);
    assertThat(r.enqueued()).isTrue();
    assertThat(r.pending()).isNull();
    Job j = r.job();
    assertThat(j.id()).isEqualTo(n.id());
    assertThat(j.type()).isEqualTo("email.send");
    assertThat(j.queue()).isEqualTo("mail");
    assertThat(j.priority()).isEqualTo(7);
    assertThat(j.args()).isEqualTo(args);
    assertThat(j.state()).isEqualTo(JobState.QUEUED);
    assertThat(j.attempt()).isZero();
    assertThat(j.maxAttempts()).isEqualTo(4);
    assertThat(j.runAt()).isEqualTo(clock.instant());
    assertThat(j.expiresAt()).isEqualTo(expires);
    assertThat(j.timeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(j.leaseUntil()).isNull();
    assertThat(j.uniqueKey()).isEqualTo(n.uniqueKey());
    assertThat(j.uniqueStates())
        .containsExactlyInAnyOrder(
            JobState.SCHEDULED,
            JobState.QUEUED,
            JobState.RUNNING,
            JobState.FAILED,
            JobState.SUCCEEDED);
    assertThat(j.result()).isNull();
    assertThat(j.lastError()).isNull();
    assertThat(j.createdAt()).isEqualTo(clock.instant());
    assertThat(j.finishedAt()).isNull();
    assertThat(stored(n.id())).isEqualTo(j);
  }

  @Test
  void aJobDueLaterIsScheduled() {
    Instant later = clock.instant().plus(Duration.ofMinutes(5));
    Job j = enqueued(withRun(job("report"), later, 0, "{}"));

    assertThat(j.state()).isEqualTo(JobState.SCHEDULED);
    assertThat(j.runAt()).isEqualTo(later);
    assertThat(store.claim(claimOf(10))).isEmpty();
  }

  @Test
  void largeArgsAreKeptVerbatim() {
    StringBuilder sb = new StringBuilder("{\"rows\":[");
    for (int i = 0; i < 6000; i++) {
      sb.append(i == 0 ? "" : ",").append("\"ligne ").append(i).append(" ✓\"");
    }
    String args = sb.append("]}").toString();
    Job j = enqueued(withRun(job("import"), null, 0, args));
    assertThat(stored(j.id()).args()).isEqualTo(args);
  }

  @Test
  void aMissingJobIsEmpty() {
    assertThat(store.get(newId())).isEmpty();
    assertThat(store.cancel(newId())).isEmpty();
    assertThat(store.retry(newId())).isEmpty();
    assertThat(store.complete(newId(), 1, null)).isEmpty();
    assertThat(store.fail(newId(), 1, "x", null)).isEmpty();
    assertThat(store.release(newId(), 1)).isEmpty();
    assertThat(store.heartbeat(newId(), 1, LEASE)).isFalse();
  }

  @Test
  void theSameIdTwiceIsADuplicateInAnyStateAndReturnsTheStoredJob() {
    NewJob first = job("email");
    Job stored = enqueued(first);

    EnqueueResult again = store.enqueue(withRun(first, null, 5, "{\"other\":true}"));

    assertThat(again.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
    assertThat(again.job()).isEqualTo(stored);
    assertThat(stored(first.id())).isEqualTo(stored);

    Job running = claimOne(first.id());
    store.complete(first.id(), running.token(), "\"done\"");
    EnqueueResult afterDone = store.enqueue(first);
    assertThat(afterDone.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
    assertThat(afterDone.job().state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(store.stats().duplicatesPrevented()).containsEntry(first.id(), 2L);
  }

  @Test
  void aSecondJobWithTheKeyIsRejectedWithTheExistingJobAndWhatIsPending() {
    String key = newKey();
    Job first = enqueued(unique("email.process", key));

    EnqueueResult r = store.enqueue(unique("email.process", key));

    assertThat(r.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
    assertThat(r.outcome().isDuplicate()).isTrue();
    assertThat(r.job()).isEqualTo(first);
    assertThat(r.pending()).isEqualTo(new PendingSummary(key, 0, 0, 1));
    assertThat(store.list(JobQuery.all().withUniqueKey(key)).jobs()).containsExactly(first);
  }

  @Test
  void theKeyIsHeldWhileScheduledQueuedRunningAndRetrying() {
    String key = newKey();
    NewJob n = withRun(unique("sync", key), clock.instant().plusSeconds(60), 0, "{}");
    Job first = enqueued(n);
    assertThat(store.enqueue(unique("sync", key)).pending())
        .isEqualTo(new PendingSummary(key, 0, 1, 0));

    clock.advance(Duration.ofSeconds(60));
    Job running = claimOne(first.id());
    EnqueueResult whileRunning = store.enqueue(unique("sync", key));
    assertThat(whileRunning.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
    assertThat(whileRunning.pending()).isEqualTo(new PendingSummary(key, 1, 0, 0));

    store.fail(first.id(), running.token(), "boom", clock.instant().plusSeconds(10));
    EnqueueResult whileRetrying = store.enqueue(unique("sync", key));
    assertThat(whileRetrying.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
    assertThat(whileRetrying.job().state()).isEqualTo(JobState.FAILED);
    assertThat(whileRetrying.pending()).isEqualTo(new PendingSummary(key, 0, 1, 0));
  }

  @Test
  void aFinishedJobFreesItsKeyUnderTheDefaultStates() {
    String key = newKey();
    Job first = enqueued(unique("sync", key));
    Job running = claimOne(first.id());
    store.complete(first.id(), running.token(), null);

    EnqueueResult next = store.enqueue(unique("sync", key));

    assertThat(next.outcome()).isEqualTo(EnqueueOutcome.ENQUEUED);
    assertThat(next.job().id()).isNotEqualTo(first.id());
  }

  @Test
  void underAllowAfterFailureASucceededJobKeepsTheKeyAndADeadOneFreesIt() {
    Set<JobState> states = ReusePolicy.ALLOW_AFTER_FAILURE.blockingFinalStates();
    String ok = newKey();
    Job a = enqueued(withKey(job("t"), ok, states, ConflictPolicy.REJECT));
    store.complete(a.id(), claimOne(a.id()).token(), null);
    EnqueueResult afterSuccess =
        store.enqueue(withKey(job("t"), ok, states, ConflictPolicy.REJECT));
    assertThat(afterSuccess.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
    assertThat(afterSuccess.job().state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(afterSuccess.pending()).isEqualTo(PendingSummary.none(ok));

    String bad = newKey();
    Job b = enqueued(withKey(job("t"), bad, states, ConflictPolicy.REJECT));
    store.fail(b.id(), claimOne(b.id()).token(), "no", null);
    assertThat(stored(b.id()).state()).isEqualTo(JobState.DEAD);
    assertThat(store.enqueue(withKey(job("t"), bad, states, ConflictPolicy.REJECT)).outcome())
        .isEqualTo(EnqueueOutcome.ENQUEUED);
  }

  @Test
  void underRejectEveryFinishedStateKeepsTheKey() {
    Set<JobState> states = ReusePolicy.REJECT.blockingFinalStates();
    String key = newKey();
    Job a = enqueued(withKey(job("t"), key, states, ConflictPolicy.REJECT));
    store.cancel(a.id());
    EnqueueResult r = store.enqueue(withKey(job("t"), key, states, ConflictPolicy.REJECT));
    assertThat(r.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
    assertThat(r.job().state()).isEqualTo(JobState.CANCELLED);
  }

  @Test
  void ignoreAnswersWithTheExistingJobAndNoSummary() {
    String key = newKey();
    Job first = enqueued(unique("t", key));
    EnqueueResult r = store.enqueue(withKey(job("t"), key, Set.of(), ConflictPolicy.IGNORE));
    assertThat(r.outcome()).isEqualTo(EnqueueOutcome.IGNORED);
    assertThat(r.job()).isEqualTo(first);
    assertThat(r.pending()).isNull();
  }

  @Test
  void replaceRewritesAWaitingJobInPlace() {
    String key = newKey();
    Job first = enqueued(withRun(unique("digest", key), clock.instant().plusSeconds(30), 0, "{}"));
    clock.advance(Duration.ofSeconds(5));
    Instant later = clock.instant().plusSeconds(60);
    NewJob again =
        withRun(
            withKey(job("digest"), key, Set.of(), ConflictPolicy.REPLACE), later, 3, "{\"v\":2}");

    EnqueueResult r = store.enqueue(again);

    assertThat(r.outcome()).isEqualTo(EnqueueOutcome.REPLACED);
    Job j = r.job();
    assertThat(j.id()).isEqualTo(first.id());
    assertThat(j.args()).isEqualTo("{\"v\":2}");
    assertThat(j.priority()).isEqualTo(3);
    assertThat(j.runAt()).isEqualTo(later);
    assertThat(j.state()).isEqualTo(JobState.SCHEDULED);
    assertThat(j.createdAt()).isEqualTo(first.createdAt());
    assertThat(stored(first.id())).isEqualTo(j);
    assertThat(store.get(again.id())).isEmpty();
    assertThat(store.stats().duplicatesPrevented()).containsEntry(key, 1L);

    EnqueueResult now =
        store.enqueue(
            withRun(
                withKey(job("digest"), key, Set.of(), ConflictPolicy.REPLACE),
                null,
                0,
                "{\"v\":3}"));
    assertThat(now.outcome()).isEqualTo(EnqueueOutcome.REPLACED);
    assertThat(now.job().state()).isEqualTo(JobState.QUEUED);
    assertThat(now.job().runAt()).isEqualTo(clock.instant());
  }

  @Test
  void replaceOfARunningJobIsRejected() {
    String key = newKey();
    Job first = enqueued(unique("digest", key));
    Job running = claimOne(first.id());
    EnqueueResult r = store.enqueue(withKey(job("digest"), key, Set.of(), ConflictPolicy.REPLACE));
    assertThat(r.outcome()).isEqualTo(EnqueueOutcome.REJECTED);
    assertThat(r.job()).isEqualTo(running);
    assertThat(r.pending()).isEqualTo(new PendingSummary(key, 1, 0, 0));
  }

  @Test
  void aBatchKeepsOrderAndUniquenessWithinItself() {
    String key = newKey();
    NewJob a = unique("t", key);
    NewJob b = job("t");
    NewJob c = unique("t", key);
    NewJob d = withId(job("t"), b.id());

    List<EnqueueResult> rs = store.enqueueAll(List.of(a, b, c, d));

    assertThat(rs)
        .extracting(EnqueueResult::outcome)
        .containsExactly(
            EnqueueOutcome.ENQUEUED,
            EnqueueOutcome.ENQUEUED,
            EnqueueOutcome.REJECTED,
            EnqueueOutcome.REJECTED);
    assertThat(rs.get(2).job().id()).isEqualTo(a.id());
    assertThat(rs.get(3).job().id()).isEqualTo(b.id());
    assertThat(store.stats().count(JobState.QUEUED)).isEqualTo(2);
    assertThat(store.enqueueAll(List.of())).isEmpty();
  }

  @Test
  void aLargeBatchAnswersExactlyAsEnqueuesOneByOne() {
    // jobs already stored: a holder of each "held" key, and one id taken
    List<String> heldKeys = new ArrayList<>();
    List<NewJob> before = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String key = newKey();
      heldKeys.add(key);
      before.add(unique("t", key));
    }
    NewJob takenId = job("t");
    before.add(takenId);
    before.add(withRun(unique("t", newKey()), clock.instant().plusSeconds(60), 0, "{}"));
    // 2,500 jobs (more than one round trip of any store): new ones, scheduled ones, duplicates of
    // stored keys under each policy, keys repeated far apart in the list, ids repeated
    ThreadLocalRandom random = ThreadLocalRandom.current();
    List<String> batchKeys = new ArrayList<>();
    List<NewJob> batch = new ArrayList<>();
    ConflictPolicy[] policies = ConflictPolicy.values();
    for (int i = 0; i < 2500; i++) {
      NewJob j;
      switch (i % 10) {
        case 0 ->
            j =
                withKey(
                    job("t"),
                    heldKeys.get(random.nextInt(heldKeys.size())),
                    Set.of(),
                    policies[random.nextInt(policies.length)]);
        case 1 -> {
          String key = newKey();
          batchKeys.add(key);
          j = unique("t", key);
        }
        case 2 ->
            j =
                batchKeys.isEmpty()
                    ? job("t")
                    : withKey(
                        job("t"),
                        batchKeys.get(random.nextInt(batchKeys.size())),
                        Set.of(),
                        policies[random.nextInt(policies.length)]);
        case 3 -> j = withRun(job("t"), clock.instant().plusSeconds(30), 2, "{\"later\":1}");
        case 4 ->
            j =
                i < 100
                    ? withId(job("t"), takenId.id())
                    : withId(job("t"), batch.get(random.nextInt(i)).id());
        default -> j = withRun(job("t"), null, random.nextInt(3), "{\"i\":" + i + "}");
      }
      batch.add(j);
    }
    InMemoryJobStore reference = InMemoryJobStore.create(clock);
    try {
      for (NewJob j : before) {
        store.enqueue(j);
        reference.enqueue(j);
      }

      List<EnqueueResult> got = store.enqueueAll(batch);

      assertThat(got).hasSize(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        EnqueueResult expected = reference.enqueue(batch.get(i));
        EnqueueResult actual = got.get(i);
        assertThat(actual.outcome()).as("outcome of job %d", i).isEqualTo(expected.outcome());
        assertThat(actual.job().id()).as("job of answer %d", i).isEqualTo(expected.job().id());
        assertThat(actual.job().state())
            .as("state of answer %d", i)
            .isEqualTo(expected.job().state());
        assertThat(actual.job().args()).as("args of answer %d", i).isEqualTo(expected.job().args());
        assertThat(actual.pending()).as("pending of answer %d", i).isEqualTo(expected.pending());
      }
      assertThat(store.stats().byState()).isEqualTo(reference.stats().byState());
      assertThat(store.stats().duplicatesPreventedTotal())
          .isEqualTo(reference.stats().duplicatesPreventedTotal());
    } finally {
      reference.close();
    }
  }

  // ---- claims ---------------------------------------------------------------------------------

  @Test
  void aClaimTakesDueJobsByPriorityThenRunTimeThenAge() {
    Instant t0 = clock.instant();
    Job low = enqueued(withRun(job("t"), t0.minusSeconds(30), 0, "{}"));
    clock.advance(Duration.ofMillis(1));
    Job high = enqueued(withRun(job("t"), t0.minusSeconds(10), 5, "{}"));
    clock.advance(Duration.ofMillis(1));
    Job lowEarlier = enqueued(withRun(job("t"), t0.minusSeconds(40), 0, "{}"));
    clock.advance(Duration.ofMillis(1));
    Job lowSameTime = enqueued(withRun(job("t"), t0.minusSeconds(40), 0, "{}"));
    Job future = enqueued(withRun(job("t"), clock.instant().plusSeconds(5), 9, "{}"));

    List<Job> claimed = store.claim(claimOf(10));

    assertThat(claimed)
        .extracting(Job::id)
        .containsExactly(high.id(), lowEarlier.id(), lowSameTime.id(), low.id());
    assertThat(stored(future.id()).state()).isEqualTo(JobState.SCHEDULED);
  }

  @Test
  void aClaimMakesTheJobRunningWithANewTokenAttemptAndLease() {
    Job j = enqueued(job("t"));
    clock.advance(Duration.ofSeconds(1));

    Job running = store.claim(new JobClaim(List.of(QUEUE), Set.of(), "w-7", LEASE, 1)).get(0);

    assertThat(running.state()).isEqualTo(JobState.RUNNING);
    assertThat(running.attempt()).isEqualTo(1);
    assertThat(running.token()).isGreaterThan(j.token());
    assertThat(running.leaseUntil()).isEqualTo(clock.instant().plus(LEASE));
    assertThat(running.workerId()).isEqualTo("w-7");
    assertThat(running.updatedAt()).isEqualTo(clock.instant());
    assertThat(stored(j.id())).isEqualTo(running);
    assertThat(store.claim(claimOf(10))).isEmpty();
  }

  @Test
  void aClaimRespectsItsLimitQueuesAndTypes() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(enqueued(withRun(job("a"), null, 1, "{}")).id());
    }
    Job other = enqueued(withQueue(job("a"), "other"));
    Job typeB = enqueued(job("b"));

    List<Job> two = store.claim(claimOf(2));
    assertThat(two).hasSize(2);
    List<Job> onlyA = store.claim(new JobClaim(List.of(QUEUE), Set.of("a"), "w", LEASE, 10));
    assertThat(onlyA).extracting(Job::type).containsOnly("a").hasSize(3);
    List<Job> both = store.claim(new JobClaim(List.of("other", QUEUE), Set.of(), "w", LEASE, 10));
    assertThat(both).extracting(Job::id).containsExactlyInAnyOrder(other.id(), typeB.id());
    Set<String> all = new HashSet<>();
    two.forEach(j -> all.add(j.id()));
    onlyA.forEach(j -> all.add(j.id()));
    assertThat(all).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(store.claim(new JobClaim(List.of("nobody"), Set.of(), "w", LEASE, 10))).isEmpty();
  }

  @Test
  void aClaimOfSeveralQueuesTakesTheirJobsInOneClaimOrder() {
    Instant t0 = clock.instant();
    Job q1Old = enqueued(withQueue(withRun(job("t"), t0.minusSeconds(50), 0, "{}"), "q1"));
    Job q2High = enqueued(withQueue(withRun(job("t"), t0.minusSeconds(5), 3, "{}"), "q2"));
    Job q1High = enqueued(withQueue(withRun(job("t"), t0.minusSeconds(1), 3, "{}"), "q1"));
    Job q2Old = enqueued(withQueue(withRun(job("t"), t0.minusSeconds(40), 0, "{}"), "q2"));
    Job q3 = enqueued(withQueue(withRun(job("t"), t0.minusSeconds(90), 9, "{}"), "q3"));

    List<Job> first =
        store.claim(new JobClaim(List.of("q1", "q2", "q1"), Set.of("t"), "w", LEASE, 3));
    List<Job> rest = store.claim(new JobClaim(List.of("q2", "q1"), Set.of(), "w", LEASE, 10));

    assertThat(first).extracting(Job::id).containsExactly(q2High.id(), q1High.id(), q1Old.id());
    assertThat(rest).extracting(Job::id).containsExactly(q2Old.id());
    assertThat(stored(q3.id()).state()).isEqualTo(JobState.QUEUED);
  }

  @Test
  void anExpiredJobIsNeverClaimedAndMaintenanceMarksItExpired() {
    Instant expires = clock.instant().plusSeconds(10);
    Job j = enqueued(withLimits(job("t"), 3, expires, null));
    Job scheduled =
        enqueued(
            withLimits(
                withRun(job("t"), clock.instant().plusSeconds(20), 0, "{}"), 3, expires, null));
    clock.advance(Duration.ofSeconds(10));

    assertThat(store.claim(claimOf(10))).isEmpty();
    MaintenanceResult m = store.maintain();

    assertThat(m.expired()).isEqualTo(2);
    assertThat(stored(j.id()).state()).isEqualTo(JobState.EXPIRED);
    assertThat(stored(j.id()).finishedAt()).isEqualTo(clock.instant());
    assertThat(stored(scheduled.id()).state()).isEqualTo(JobState.EXPIRED);
  }

  @Test
  void maintenancePromotesDueScheduledJobs() {
    Job j = enqueued(withRun(job("t"), clock.instant().plusSeconds(5), 0, "{}"));
    assertThat(store.maintain()).isEqualTo(MaintenanceResult.NONE);
    clock.advance(Duration.ofSeconds(5));

    assertThat(store.maintain().promoted()).isEqualTo(1);
    assertThat(stored(j.id()).state()).isEqualTo(JobState.QUEUED);
    assertThat(claimOne(j.id()).attempt()).isEqualTo(1);
  }

  // ---- fenced steps ---------------------------------------------------------------------------

  @Test
  void completeWithTheTokenSucceedsOnceAndKeepsTheResult() {
    Job j = enqueued(job("t"));
    Job running = claimOne(j.id());
    clock.advance(Duration.ofSeconds(2));

    Optional<Job> done = store.complete(j.id(), running.token(), "{\"sent\":true}");

    assertThat(done).isPresent();
    assertThat(done.get().state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(done.get().result()).isEqualTo("{\"sent\":true}");
    assertThat(done.get().finishedAt()).isEqualTo(clock.instant());
    assertThat(done.get().leaseUntil()).isNull();
    assertThat(stored(j.id())).isEqualTo(done.get());
    assertThat(store.complete(j.id(), running.token(), "\"again\"")).isEmpty();
    assertThat(store.fail(j.id(), running.token(), "late", null)).isEmpty();
    assertThat(stored(j.id())).isEqualTo(done.get());
  }

  @Test
  void completeAllCompletesEachJobItsTokenHoldsAndNothingElse() {
    Job a = enqueued(job("t"));
    Job b = enqueued(job("t"));
    Job c = enqueued(job("t"));
    List<Job> running = store.claim(claimOf(3));
    Map<String, Job> byId = new HashMap<>();
    running.forEach(j -> byId.put(j.id(), j));
    Job ra = byId.get(a.id());
    Job rb = byId.get(b.id());
    Job rc = byId.get(c.id());
    clock.advance(Duration.ofSeconds(1));
    assertThat(store.heartbeat(a.id(), ra.token(), LEASE)).isTrue(); // the claimed copy is older
    clock.advance(Duration.ofSeconds(1));

    Job stale = withIdAndToken(rb, rb.id(), rb.token() - 1);
    Job unknown = withIdAndToken(ra, newId(), 1);
    List<Optional<Job>> answers =
        store.completeAll(
            List.of(
                new JobCompletion(ra, "{\"a\":1}"),
                new JobCompletion(stale, "\"stale\""),
                new JobCompletion(unknown, null),
                new JobCompletion(rc, null),
                new JobCompletion(ra, "\"again\"")));

    assertThat(answers).hasSize(5);
    assertThat(answers.get(0)).isPresent();
    assertThat(answers.get(0).get().state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(answers.get(0).get().result()).isEqualTo("{\"a\":1}");
    assertThat(answers.get(0).get().finishedAt()).isEqualTo(clock.instant());
    assertThat(answers.get(1)).isEmpty();
    assertThat(answers.get(2)).isEmpty();
    assertThat(answers.get(3)).isPresent();
    assertThat(answers.get(3).get().result()).isNull();
    assertThat(answers.get(4)).isEmpty();
    assertThat(stored(a.id())).isEqualTo(answers.get(0).get());
    assertThat(stored(b.id())).isEqualTo(rb);
    assertThat(stored(c.id())).isEqualTo(answers.get(3).get());
    assertThat(store.completeAll(List.of())).isEmpty();
  }

  @Test
  void aStaleTokenChangesNothing() {
    Job j = enqueued(job("t"));
    Job running = claimOne(j.id());
    long stale = running.token() - 1;

    assertThat(store.heartbeat(j.id(), stale, LEASE)).isFalse();
    assertThat(store.complete(j.id(), stale, null)).isEmpty();
    assertThat(store.fail(j.id(), stale, "x", null)).isEmpty();
    assertThat(store.release(j.id(), stale)).isEmpty();
    assertThat(stored(j.id())).isEqualTo(running);
  }

  @Test
  void aHeartbeatExtendsTheLease() {
    Job j = enqueued(job("t"));
    Job running = claimOne(j.id());
    clock.advance(Duration.ofSeconds(20));

    assertThat(store.heartbeat(j.id(), running.token(), LEASE)).isTrue();

    assertThat(stored(j.id()).leaseUntil()).isEqualTo(clock.instant().plus(LEASE));
    clock.advance(Duration.ofSeconds(20));
    assertThat(store.maintain().recovered()).isZero();
    assertThat(stored(j.id()).state()).isEqualTo(JobState.RUNNING);
  }

  @Test
  void aFailureWithAttemptsLeftIsRetriedAtItsTimeThenDies() {
    Job j = enqueued(withLimits(job("t"), 2, null, null));
    Job first = claimOne(j.id());
    Instant retryAt = clock.instant().plusSeconds(10);

    Job failed = store.fail(j.id(), first.token(), "smtp down", retryAt).orElseThrow();

    assertThat(failed.state()).isEqualTo(JobState.FAILED);
    assertThat(failed.runAt()).isEqualTo(retryAt);
    assertThat(failed.lastError()).isEqualTo("smtp down");
    assertThat(failed.finishedAt()).isNull();
    assertThat(store.claim(claimOf(1))).isEmpty();

    clock.advance(Duration.ofSeconds(10));
    Job second = claimOne(j.id());
    assertThat(second.attempt()).isEqualTo(2);
    assertThat(second.token()).isGreaterThan(first.token());

    Job dead = store.fail(j.id(), second.token(), "still down", clock.instant()).orElseThrow();
    assertThat(dead.state()).isEqualTo(JobState.DEAD);
    assertThat(dead.lastError()).isEqualTo("still down");
    assertThat(dead.finishedAt()).isEqualTo(clock.instant());
  }

  @Test
  void aFailureWithoutARetryTimeIsDeadAtOnce() {
    Job j = enqueued(withLimits(job("t"), 5, null, null));
    Job dead = store.fail(j.id(), claimOne(j.id()).token(), "bad input", null).orElseThrow();
    assertThat(dead.state()).isEqualTo(JobState.DEAD);
    assertThat(dead.attempt()).isEqualTo(1);
  }

  @Test
  void releaseQueuesTheJobAgainAndGivesTheAttemptBack() {
    Job j = enqueued(job("t"));
    Job running = claimOne(j.id());

    Job released = store.release(j.id(), running.token()).orElseThrow();

    assertThat(released.state()).isEqualTo(JobState.QUEUED);
    assertThat(released.attempt()).isZero();
    assertThat(released.leaseUntil()).isNull();
    Job again = claimOne(j.id());
    assertThat(again.attempt()).isEqualTo(1);
    assertThat(again.token()).isGreaterThan(running.token());
    assertThat(store.complete(j.id(), running.token(), null)).isEmpty();
  }

  // ---- recovery -------------------------------------------------------------------------------

  @Test
  void aJobWhoseWorkerDiedIsQueuedAgainAndItsOldTokenIsRefused() {
    Job j = enqueued(job("t"));
    Job first = claimOne(j.id());
    clock.advance(LEASE.minusMillis(1));
    assertThat(store.maintain().recovered()).isZero();
    clock.advance(Duration.ofMillis(1));

    MaintenanceResult m = store.maintain();

    assertThat(m.recovered()).isEqualTo(1);
    Job recovered = stored(j.id());
    assertThat(recovered.state()).isEqualTo(JobState.QUEUED);
    assertThat(recovered.attempt()).isEqualTo(1);
    assertThat(recovered.lastError()).contains("worker-1").contains("expired");
    assertThat(store.complete(j.id(), first.token(), null)).isEmpty();

    Job second = claimOne(j.id());
    assertThat(second.attempt()).isEqualTo(2);
    assertThat(store.complete(j.id(), first.token(), null)).isEmpty();
    assertThat(store.heartbeat(j.id(), first.token(), LEASE)).isFalse();
    assertThat(store.complete(j.id(), second.token(), "\"ok\"")).isPresent();
  }

  @Test
  void aJobWhoseWorkerDiedOnItsLastAttemptIsDead() {
    Job j = enqueued(withLimits(job("t"), 1, null, null));
    claimOne(j.id());
    clock.advance(LEASE);

    MaintenanceResult m = store.maintain();

    assertThat(m.dead()).isEqualTo(1);
    assertThat(m.recovered()).isZero();
    assertThat(stored(j.id()).state()).isEqualTo(JobState.DEAD);
    assertThat(stored(j.id()).finishedAt()).isEqualTo(clock.instant());
  }

  @Test
  void theUniqueKeyStaysHeldAcrossRecovery() {
    String key = newKey();
    Job j = enqueued(unique("t", key));
    claimOne(j.id());
    clock.advance(LEASE);
    store.maintain();
    assertThat(store.enqueue(unique("t", key)).outcome()).isEqualTo(EnqueueOutcome.REJECTED);
  }

  // ---- cancel and retry -----------------------------------------------------------------------

  @Test
  void cancelStopsWaitingAndRunningJobsAndLeavesFinishedOnes() {
    Job waiting = enqueued(job("t"));
    Job cancelled = store.cancel(waiting.id()).orElseThrow();
    assertThat(cancelled.state()).isEqualTo(JobState.CANCELLED);
    assertThat(cancelled.finishedAt()).isEqualTo(clock.instant());
    assertThat(store.claim(claimOf(10))).isEmpty();

    Job r = enqueued(job("t"));
    Job running = claimOne(r.id());
    assertThat(store.cancel(r.id()).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
    assertThat(store.heartbeat(r.id(), running.token(), LEASE)).isFalse();
    assertThat(store.complete(r.id(), running.token(), null)).isEmpty();

    Job d = enqueued(job("t"));
    Job done = store.complete(d.id(), claimOne(d.id()).token(), null).orElseThrow();
    assertThat(store.cancel(d.id())).contains(done);
  }

  @Test
  void aCancelledJobFreesItsKey() {
    String key = newKey();
    Job j = enqueued(unique("t", key));
    store.cancel(j.id());
    assertThat(store.enqueue(unique("t", key)).outcome()).isEqualTo(EnqueueOutcome.ENQUEUED);
  }

  @Test
  void retryQueuesADeadJobAgainWithAnAttemptLeft() {
    Job j = enqueued(withLimits(job("t"), 1, null, null));
    Job running = claimOne(j.id());
    store.fail(j.id(), running.token(), "boom", clock.instant());
    assertThat(stored(j.id()).state()).isEqualTo(JobState.DEAD);

    Job retried = store.retry(j.id()).orElseThrow();

    assertThat(retried.state()).isEqualTo(JobState.QUEUED);
    assertThat(retried.maxAttempts()).isEqualTo(2);
    assertThat(retried.finishedAt()).isNull();
    Job again = claimOne(j.id());
    assertThat(again.attempt()).isEqualTo(2);
    assertThat(again.token()).isGreaterThan(running.token());
  }

  @Test
  void retryOfAJobThatIsNotFinishedOrFailedIsRefused() {
    Job queued = enqueued(job("t"));
    assertThatThrownBy(() -> store.retry(queued.id()))
        .isInstanceOf(JobStateException.class)
        .hasMessageContaining(queued.id())
        .hasMessageContaining("QUEUED");
    Job running = claimOne(queued.id());
    store.complete(queued.id(), running.token(), null);
    assertThatThrownBy(() -> store.retry(queued.id()))
        .isInstanceOf(JobStateException.class)
        .hasMessageContaining("SUCCEEDED");
    assertThat(stored(queued.id()).state()).isEqualTo(JobState.SUCCEEDED);
  }

  @Test
  void retryWhileAnotherJobHoldsTheKeyIsRefusedAndChangesNothing() {
    String key = newKey();
    Job old = enqueued(unique("t", key));
    Job cancelled = store.cancel(old.id()).orElseThrow();
    Job holder = enqueued(unique("t", key));

    assertThatThrownBy(() -> store.retry(old.id()))
        .isInstanceOf(UniqueConflictException.class)
        .hasMessageContaining(holder.id())
        .hasMessageContaining(key)
        .satisfies(e -> assertThat(((UniqueConflictException) e).existing()).isEqualTo(holder));
    assertThat(stored(old.id())).isEqualTo(cancelled);
  }

  // ---- reading --------------------------------------------------------------------------------

  @Test
  void listingIsNewestFirstWithFiltersAndCursorsThatMissNothing() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      ids.add(enqueued(job(i % 2 == 0 ? "even" : "odd")).id());
      if (i % 3 == 0) {
        clock.advance(Duration.ofMillis(1));
      }
    }
    clock.advance(Duration.ofMillis(1));
    Job other = enqueued(withQueue(job("even"), "other"));
    Collections.reverse(ids);

    List<String> seen = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      JobPage p = store.list(JobQuery.all().withQueue(QUEUE).withLimit(5).withAfter(after));
      p.jobs().forEach(j -> seen.add(j.id()));
      after = p.next();
      pages++;
    } while (after != null && pages < 10);

    assertThat(pages).isEqualTo(5);
    assertThat(seen).containsExactlyInAnyOrderElementsOf(ids).doesNotHaveDuplicates();
    List<Job> all = store.list(JobQuery.all().withLimit(100)).jobs();
    assertThat(all.get(0)).isEqualTo(other);
    for (int i = 1; i < all.size(); i++) {
      assertThat(all.get(i - 1).createdAt()).isAfterOrEqualTo(all.get(i).createdAt());
    }
    assertThat(store.list(JobQuery.all().withType("odd").withLimit(100)).jobs())
        .hasSize(11)
        .extracting(Job::type)
        .containsOnly("odd");
    assertThat(store.claim(new JobClaim(List.of("other"), Set.of(), "w", LEASE, 5)))
        .extracting(Job::id)
        .containsExactly(other.id());
    assertThat(store.list(JobQuery.all().withStates(EnumSet.of(JobState.RUNNING))).jobs())
        .containsExactly(stored(other.id()));
    assertThat(store.list(JobQuery.all().withType("none"))).isEqualTo(new JobPage(List.of(), null));
  }

  @Test
  void pendingCountsOnlyThePendingJobsOfTheKey() {
    String key = newKey();
    assertThat(store.pending(key)).isEqualTo(PendingSummary.none(key));
    assertThat(store.pending(key).any()).isFalse();
    Job done = enqueued(unique("t", key));
    store.complete(done.id(), claimOne(done.id()).token(), null);
    enqueued(unique("t", newKey()));
    assertThat(store.pending(key)).isEqualTo(PendingSummary.none(key));

    Job next = enqueued(unique("t", key));
    assertThat(store.pending(key)).isEqualTo(new PendingSummary(key, 0, 0, 1));
    assertThat(store.pending(key).any()).isTrue();
    store.claim(claimOf(10));
    assertThat(store.pending(key)).isEqualTo(new PendingSummary(key, 1, 0, 0));
    assertThat(stored(next.id()).state()).isEqualTo(JobState.RUNNING);
  }

  @Test
  void statsCountJobsByStateAndTypeAndDuplicatesByKey() {
    String hot = newKey();
    String warm = newKey();
    enqueued(unique("email", hot));
    enqueued(unique("email", warm));
    Job r = enqueued(job("report"));
    assertThat(store.claim(new JobClaim(List.of(QUEUE), Set.of("report"), "w", LEASE, 5)))
        .extracting(Job::id)
        .containsExactly(r.id());
    for (int i = 0; i < 3; i++) {
      store.enqueue(unique("email", hot));
    }
    store.enqueue(unique("email", warm));

    JobStats s = store.stats();

    assertThat(s.byState()).hasSize(JobState.values().length);
    assertThat(s.count(JobState.QUEUED)).isEqualTo(2);
    assertThat(s.count(JobState.RUNNING)).isEqualTo(1);
    assertThat(s.count(JobState.DEAD)).isZero();
    assertThat(s.byType().get("email")).containsEntry(JobState.QUEUED, 2L);
    assertThat(s.byType().get("report")).containsEntry(JobState.RUNNING, 1L);
    assertThat(s.duplicatesPrevented()).containsExactly(Map.entry(hot, 3L), Map.entry(warm, 1L));
    assertThat(s.duplicatesPreventedTotal()).isEqualTo(4);
  }

  @Test
  void purgeDeletesFinishedJobsOlderThanTheCutoffOnly() {
    Job done = enqueued(job("t"));
    store.complete(done.id(), claimOne(done.id()).token(), null);
    Job waiting = enqueued(withRun(job("t"), clock.instant().plusSeconds(3600), 0, "{}"));
    clock.advance(Duration.ofMinutes(10));
    Job recent = enqueued(job("t"));
    store.cancel(recent.id());

    int n = store.purge(clock.instant().minusSeconds(60));

    assertThat(n).isEqualTo(1);
    assertThat(store.get(done.id())).isEmpty();
    assertThat(store.get(waiting.id())).isPresent();
    assertThat(store.get(recent.id())).isPresent();
  }

  @Test
  void subscribersAreWokenByADueEnqueueUntilTheyUnsubscribe() throws Exception {
    CountDownLatch woken = new CountDownLatch(1);
    AutoCloseable sub = store.subscribe(woken::countDown);
    try {
      enqueued(job("t"));
      assertThat(woken.await(10, TimeUnit.SECONDS)).as("woken").isTrue();
    } finally {
      sub.close();
    }
    // Every store calls its listeners one after the other, in the order they subscribed, for each
    // wake-up: once a listener that subscribed after the closed one heard the enqueue, the closed
    // one's call would already have been made.
    AtomicInteger closedOne = new AtomicInteger();
    AutoCloseable closed = store.subscribe(closedOne::incrementAndGet);
    CountDownLatch marker = new CountDownLatch(1);
    AutoCloseable open = store.subscribe(marker::countDown);
    try {
      closed.close();
      enqueued(job("t"));
      assertThat(marker.await(10, TimeUnit.SECONDS)).as("the open subscriber woken").isTrue();
      assertThat(closedOne.get()).as("wake-ups of the closed subscriber").isZero();
    } finally {
      open.close();
    }
  }

  // ---- concurrency ----------------------------------------------------------------------------

  @Test
  @Timeout(60)
  void concurrentEnqueuesOfOneKeyStoreExactlyOneJob() throws Exception {
    String key = newKey();
    int threads = 8;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<EnqueueResult>> results = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        results.add(
            pool.submit(
                () -> {
                  start.await(10, TimeUnit.SECONDS);
                  return store.enqueue(unique("t", key));
                }));
      }
      List<EnqueueResult> rs = new ArrayList<>();
      for (Future<EnqueueResult> f : results) {
        rs.add(f.get(30, TimeUnit.SECONDS));
      }
      assertThat(rs).filteredOn(EnqueueResult::enqueued).hasSize(1);
      String winner = rs.stream().filter(EnqueueResult::enqueued).findFirst().get().job().id();
      assertThat(rs).extracting(r -> r.job().id()).containsOnly(winner);
      assertThat(store.list(JobQuery.all().withUniqueKey(key)).jobs()).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @Timeout(60)
  void concurrentClaimsNeverTakeAJobTwice() throws Exception {
    int jobs = 120;
    for (int i = 0; i < jobs; i++) {
      enqueued(job("t"));
    }
    int threads = 4;
    Set<String> taken = ConcurrentHashMap.newKeySet();
    AtomicInteger twice = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String worker = "w-" + t;
        fs.add(
            pool.submit(
                () -> {
                  while (true) {
                    List<Job> got =
                        store.claim(new JobClaim(List.of(QUEUE), Set.of(), worker, LEASE, 3));
                    if (got.isEmpty()) {
                      return null;
                    }
                    for (Job j : got) {
                      if (!taken.add(j.id())) {
                        twice.incrementAndGet();
                      }
                      assertThat(store.complete(j.id(), j.token(), null)).isPresent();
                    }
                  }
                }));
      }
      for (Future<?> f : fs) {
        f.get(50, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(twice.get()).isZero();
    assertThat(taken).hasSize(jobs);
    assertThat(store.stats().count(JobState.SUCCEEDED)).isEqualTo(jobs);
  }

  /**
   * Four producers enqueue jobs over eight unique keys (some rejecting, some replacing, some
   * ignoring conflicts) while two workers claim and complete, fail with a retry, or release them,
   * and a checker lists each key's jobs over and over: it never sees two jobs holding one key.
   * Afterwards the workers drain the queue: every job that was enqueued ends SUCCEEDED, none lost.
   */
  @Test
  @Timeout(120)
  void fuzzProducersAndWorkersNeverMakeTwoHoldersOfAKeyAndLoseNoJob() throws Exception {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      keys.add(newKey());
    }
    Set<String> enqueuedIds = ConcurrentHashMap.newKeySet();
    List<String> violations = new CopyOnWriteArrayList<>();
    AtomicBoolean producing = new AtomicBoolean(true);
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(7);
    List<Future<?>> producers = new ArrayList<>();
    List<Future<?>> others = new ArrayList<>();
    try {
      for (int p = 0; p < 4; p++) {
        producers.add(
            pool.submit(
                () -> {
                  ThreadLocalRandom rnd = ThreadLocalRandom.current();
                  for (int i = 0; i < 150; i++) {
                    String key = keys.get(rnd.nextInt(keys.size()));
                    ConflictPolicy policy = ConflictPolicy.values()[rnd.nextInt(3)];
                    NewJob n = withKey(job("fuzz"), key, Set.of(), policy);
                    EnqueueResult r =
                        rnd.nextInt(10) == 0
                            ? store.enqueueAll(List.of(n, job("plain"))).get(0)
                            : store.enqueue(n);
                    if (r.enqueued()) {
                      enqueuedIds.add(r.job().id());
                    }
                  }
                  return null;
                }));
      }
      for (int w = 0; w < 2; w++) {
        String worker = "w-" + w;
        others.add(pool.submit(() -> work(worker, running, enqueuedIds)));
      }
      others.add(
          pool.submit(
              () -> {
                while (running.get()) {
                  for (String key : keys) {
                    List<Job> holding =
                        store
                            .list(JobQuery.all().withUniqueKey(key).withLimit(1000))
                            .jobs()
                            .stream()
                            .filter(Job::holdsUniqueKey)
                            .toList();
                    if (holding.size() > 1) {
                      violations.add(key + " held by " + holding);
                    }
                  }
                }
                return null;
              }));
      for (Future<?> f : producers) {
        f.get(90, TimeUnit.SECONDS);
      }
      producing.set(false);
      // drain: the workers keep going until nothing is due (or one of them failed: its error is
      // thrown by its future below)
      await("the queue drained")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(20))
          .until(
              () -> {
                if (others.stream().anyMatch(Future::isDone)) {
                  return true;
                }
                JobStats s = store.stats();
                return s.count(JobState.QUEUED)
                        + s.count(JobState.RUNNING)
                        + s.count(JobState.FAILED)
                        + s.count(JobState.SCHEDULED)
                    == 0;
              });
      running.set(false);
      for (Future<?> f : others) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      running.set(false);
      pool.shutdownNow();
    }
    assertThat(violations).isEmpty();
    assertThat(enqueuedIds).isNotEmpty();
    Map<String, JobState> states = new HashMap<>();
    for (String id : enqueuedIds) {
      states.put(id, stored(id).state());
    }
    assertThat(states).allSatisfy((id, s) -> assertThat(s).as(id).isEqualTo(JobState.SUCCEEDED));
  }

  /** A fuzz worker: claims, then completes, fails with a retry due now, or releases. */
  private Void work(String worker, AtomicBoolean running, Set<String> enqueuedIds) {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    while (running.get()) {
      List<Job> got = store.claim(new JobClaim(List.of(QUEUE), Set.of(), worker, LEASE, 2));
      if (got.isEmpty()) {
        Thread.onSpinWait();
        continue;
      }
      for (Job j : got) {
        int roll = rnd.nextInt(10);
        if (roll == 0 && j.attempt() < j.maxAttempts()) {
          assertThat(store.fail(j.id(), j.token(), "flaky", clock.instant())).isPresent();
        } else if (roll == 1) {
          assertThat(store.release(j.id(), j.token())).isPresent();
        } else {
          assertThat(store.complete(j.id(), j.token(), "\"ok\"")).isPresent();
        }
      }
    }
    return null;
  }
}
