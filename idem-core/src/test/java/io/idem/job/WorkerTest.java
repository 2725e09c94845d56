package io.idem.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.idem.Idem;
import io.idem.Outcome;
import io.idem.SettableClock;
import io.idem.memory.InMemoryIdempotencyStore;
import io.idem.memory.InMemoryJobStore;
import io.idem.spi.JobClaim;
import io.idem.spi.JobCompletion;
import io.idem.spi.JobStore;
import io.idem.spi.NewJob;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Workers on the in-memory store and the system clock: handlers, retries, timeouts, shutdown. Where
 * a test waits for a timeout or a grace period, the worker's ticker is a settable clock that the
 * test moves.
 */
class WorkerTest {

  record Greet(String name, int times) {}

  private static final RetryPolicy FAST =
      RetryPolicy.exponential(Duration.ofMillis(10), Duration.ofMillis(40)).jitter(0);

  private final InMemoryJobStore store = InMemoryJobStore.create();
  private final List<Worker> workers = new CopyOnWriteArrayList<>();
  private final List<String> events = new CopyOnWriteArrayList<>();

  /** The ticker of {@link #timed}: only the test moves it. */
  private final SettableClock ticker = new SettableClock(Instant.parse("2026-01-01T00:00:00Z"));

  /** Counted down by no one: a handler awaiting it blocks until it is interrupted. */
  private final CountDownLatch never = new CountDownLatch(1);

  private final Jobs jobs = jobs(store).build();

  /** Jobs over the same store whose workers time timeouts and grace periods on {@link #ticker}. */
  private final Jobs timed = jobs(store).ticker(ticker).build();

  private Jobs.Builder jobs(JobStore on) {
    return Jobs.builder(on)
        .defaultRetry(FAST)
        .listener(
            new JobListener() {
              @Override
              public void leaseLost(Job job) {
                events.add("lost " + job.id());
              }

              @Override
              public void failed(Job job, Throwable failure) {
                events.add("failed " + job.id() + " " + job.state());
              }
            });
  }

  private Worker start(WorkerOptions o) {
    return start(jobs, o);
  }

  private Worker start(Jobs on, WorkerOptions o) {
    Worker w = on.startWorker(o);
    workers.add(w);
    return w;
  }

  /** Shuts {@code w} down on another thread, so that the test can move the ticker meanwhile. */
  private static CompletableFuture<Boolean> shutdownInBackground(Worker w, Duration grace) {
    CompletableFuture<Boolean> f = CompletableFuture.supplyAsync(() -> w.shutdown(grace));
    await().atMost(Duration.ofSeconds(10)).until(() -> w.toString().contains("stopped"));
    return f;
  }

  /** Moves the ticker on in steps until {@code f} is done. */
  private void advanceUntilDone(CompletableFuture<?> f) {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              ticker.advance(Duration.ofMillis(50));
              return f.isDone();
            });
  }

  private static WorkerOptions quick() {
    return WorkerOptions.defaults()
        .concurrency(4)
        .pollInterval(Duration.ofHours(1)) // only wake-ups: proves they work
        .heartbeatEvery(Duration.ofMillis(20))
        .maintenanceInterval(Duration.ofMillis(50));
  }

  @AfterEach
  void stop() {
    // a worker on the ticker left running by a failed test waits for the ticker to move
    workers.forEach(
        w -> advanceUntilDone(CompletableFuture.supplyAsync(() -> w.shutdown(grace()))));
  }

  private static Duration grace() {
    return Duration.ofSeconds(2);
  }

  private Job awaitState(String id, JobState state) {
    await().atMost(Duration.ofSeconds(10)).until(() -> jobs.get(id).orElseThrow().state() == state);
    return jobs.get(id).orElseThrow();
  }

  @Test
  void aWorkerRunsTheHandlerWithDecodedArgsAndKeepsTheResult() {
    jobs.register(
        "greet", Greet.class, ctx -> "hello " + ctx.args().name() + " x" + ctx.args().times());
    start(quick());

    EnqueueResult r = jobs.enqueue(JobRequest.of("greet", new Greet("Zoë", 2)));

    Job done = awaitState(r.job().id(), JobState.SUCCEEDED);
    assertThat(done.result()).isEqualTo("\"hello Zoë x2\"");
    assertThat(done.attempt()).isEqualTo(1);
    assertThat(done.args()).isEqualTo("{\"name\":\"Zoë\",\"times\":2}");
  }

  @Test
  void aFailingAttemptIsRetriedWithBackoffUntilItSucceeds() {
    AtomicInteger calls = new AtomicInteger();
    jobs.register(
        "flaky",
        Greet.class,
        ctx -> {
          if (calls.incrementAndGet() < 3) {
            throw new IllegalStateException("smtp down " + ctx.attempt());
          }
          return ctx.attempt();
        });
    start(quick().pollInterval(Duration.ofMillis(20)));

    Job j = jobs.enqueue(JobRequest.of("flaky", new Greet("a", 1))).job();

    Job done = awaitState(j.id(), JobState.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(3);
    assertThat(done.result()).isEqualTo("3");
    assertThat(done.lastError()).contains("IllegalStateException: smtp down 2");
  }

  @Test
  void attemptsUsedUpOrAFailureNeverRetriedMakeTheJobDead() {
    jobs.register(
        "always",
        Greet.class,
        ctx -> {
          throw new IllegalStateException("nope");
        });
    jobs.register(
        "fatal",
        Greet.class,
        FAST.noRetryOn(IllegalArgumentException.class),
        ctx -> {
          throw new IllegalArgumentException("bad address");
        });
    start(quick().pollInterval(Duration.ofMillis(20)));

    Job a = jobs.enqueue(JobRequest.of("always", null).maxAttempts(2)).job();
    Job f = jobs.enqueue(JobRequest.of("fatal", null).maxAttempts(5)).job();

    assertThat(awaitState(a.id(), JobState.DEAD).attempt()).isEqualTo(2);
    Job fatal = awaitState(f.id(), JobState.DEAD);
    assertThat(fatal.attempt()).isEqualTo(1);
    assertThat(fatal.lastError()).contains("bad address");
  }

  @Test
  void argsThatCannotBeReadMakeTheJobDeadNamingTheType() {
    jobs.register("greet", Greet.class, ctx -> null);
    start(quick());
    Job j = jobs.enqueue(JobRequest.of("greet", List.of(1, 2))).job();
    Job dead = awaitState(j.id(), JobState.DEAD);
    assertThat(dead.lastError()).contains(Greet.class.getName()).contains(j.id());
  }

  @Test
  void anAttemptPastItsTimeoutIsInterruptedAndCountsAsFailed() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch started = new CountDownLatch(1);
    timed.register(
        "slow",
        Greet.class,
        ctx -> {
          if (calls.incrementAndGet() == 1) {
            started.countDown();
            never.await(); // until the timeout interrupts it
          }
          return "fast the second time";
        });
    start(timed, quick().pollInterval(Duration.ofMillis(20)));

    Job j = timed.enqueue(JobRequest.of("slow", null).timeout(Duration.ofMillis(100))).job();
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
    // the timeout is on the ticker: the attempt runs on until the ticker passes it
    assertThat(timed.get(j.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
    ticker.advance(Duration.ofMillis(100));

    Job done = awaitState(j.id(), JobState.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(2);
    assertThat(done.lastError()).contains("JobTimeoutException").contains("PT0.1S");
  }

  @Test
  void cancellingARunningJobInterruptsItsHandlerAndNothingIsWritten() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    AtomicReference<Boolean> sawStop = new AtomicReference<>();
    jobs.register(
        "long",
        Greet.class,
        ctx -> {
          started.countDown();
          try {
            never.await(); // until the cancel interrupts it
          } catch (InterruptedException e) {
            sawStop.set(ctx.isStopping());
            throw e;
          }
          return null;
        });
    start(quick());
    Job j = jobs.enqueue(JobRequest.of("long", null)).job();
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

    jobs.cancel(j.id());

    await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("lost " + j.id()));
    assertThat(sawStop.get()).isTrue();
    assertThat(jobs.get(j.id()).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
  }

  @Test
  void shutdownReleasesJobsThatDoNotFinishInTheGracePeriod() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    timed.register(
        "long",
        Greet.class,
        ctx -> {
          started.countDown();
          never.await(); // until the shutdown interrupts it
          return null;
        });
    Worker w = start(timed, quick());
    Job j = timed.enqueue(JobRequest.of("long", null)).job();
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<Boolean> shutdown = shutdownInBackground(w, Duration.ofMillis(100));
    // the grace period is on the ticker: it cannot run out while the ticker stands still
    assertThat(shutdown).isNotDone();
    Instant graceFrom = ticker.instant();
    advanceUntilDone(shutdown);

    assertThat(shutdown.get()).as("every job finished").isFalse();
    assertThat(ticker.instant()).isAfterOrEqualTo(graceFrom.plusMillis(100));
    Job released = timed.get(j.id()).orElseThrow();
    assertThat(released.state()).isEqualTo(JobState.QUEUED);
    assertThat(released.attempt()).isZero();
  }

  @Test
  void shutdownLetsRunningJobsFinishWithinTheGracePeriod() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    timed.register(
        "short",
        Greet.class,
        ctx -> {
          started.countDown();
          assertThat(finish.await(10, TimeUnit.SECONDS)).isTrue();
          return "done";
        });
    Worker w = start(timed, quick());
    Job j = timed.enqueue(JobRequest.of("short", null)).job();
    assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

    // the ticker stands still: the job ends within the grace period whenever it ends
    CompletableFuture<Boolean> shutdown = shutdownInBackground(w, Duration.ofSeconds(5));
    assertThat(shutdown).isNotDone();
    finish.countDown();

    assertThat(shutdown.get(10, TimeUnit.SECONDS)).as("every job finished").isTrue();
    assertThat(timed.get(j.id()).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(w.toString()).contains("stopped");
  }

  @Test
  void aJobOfADeadWorkerIsRecoveredByLeaseAndRunByAnother() {
    SettableClock clock = new SettableClock(Instant.parse("2026-01-01T00:00:00Z"));
    InMemoryJobStore onClock = InMemoryJobStore.create(clock);
    Jobs on = jobs(onClock).clock(clock).ticker(clock).build();
    on.register("greet", Greet.class, ctx -> "attempt " + ctx.attempt());
    Job j = on.enqueue(JobRequest.of("greet", null)).job();
    // a worker that claims and then dies: nobody heartbeats its lease
    List<Job> claimed =
        onClock.claim(
            new JobClaim(List.of("default"), Set.of(), "dead", Duration.ofMillis(100), 1));
    assertThat(claimed).hasSize(1);

    start(on, quick());
    // the worker's maintenance finds nothing to recover until the lease has passed
    assertThat(on.get(j.id()).orElseThrow().state()).isEqualTo(JobState.RUNNING);
    clock.advance(Duration.ofMillis(100));

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> on.get(j.id()).orElseThrow().state() == JobState.SUCCEEDED);
    Job done = on.get(j.id()).orElseThrow();
    assertThat(done.result()).isEqualTo("\"attempt 2\"");
    assertThat(done.lastError()).contains("dead").contains("expired");
    assertThat(onClock.complete(j.id(), claimed.get(0).token(), null)).isEmpty();
  }

  @Test
  void anExpiredJobIsNeverRun() {
    AtomicInteger calls = new AtomicInteger();
    jobs.register("greet", Greet.class, ctx -> calls.incrementAndGet());
    Job j =
        jobs.enqueue(
                JobRequest.of("greet", null).expiresAt(java.time.Instant.now().minusSeconds(1)))
            .job();
    start(quick());
    awaitState(j.id(), JobState.EXPIRED);
    assertThat(calls.get()).isZero();
  }

  @Test
  void handlersRunOnAnInjectedExecutor() throws Exception {
    ExecutorService mine =
        Executors.newFixedThreadPool(2, r -> new Thread(r, "mine-" + System.nanoTime()));
    try {
      jobs.register("where", Greet.class, ctx -> Thread.currentThread().getName());
      start(quick().executor(mine));
      Job j = jobs.enqueue(JobRequest.of("where", null)).job();
      assertThat(awaitState(j.id(), JobState.SUCCEEDED).result()).startsWith("\"mine-");
    } finally {
      workers.forEach(w -> w.shutdown(Duration.ofSeconds(1)));
      assertThat(mine.isShutdown())
          .as("the worker never shuts down an injected executor")
          .isFalse();
      mine.shutdownNow();
    }
  }

  @Test
  void theIdempotencyKeyMakesTheEffectOnceAcrossRetries() {
    Idem idem = Idem.builder(InMemoryIdempotencyStore.create()).build();
    AtomicInteger effects = new AtomicInteger();
    AtomicInteger calls = new AtomicInteger();
    jobs.register(
        "charge",
        Greet.class,
        ctx -> {
          Outcome<Integer> o =
              idem.once(ctx.idempotencyKey(), ctx.args(), effects::incrementAndGet);
          if (calls.incrementAndGet() == 1) {
            throw new IllegalStateException("crashed after the effect");
          }
          return o.value();
        });
    start(quick().pollInterval(Duration.ofMillis(20)));

    Job j = jobs.enqueue(JobRequest.of("charge", new Greet("x", 1))).job();

    Job done = awaitState(j.id(), JobState.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(2);
    assertThat(effects.get()).isEqualTo(1);
    assertThat(done.result()).isEqualTo("1");
    idem.close();
  }

  @Test
  void startingAWorkerWithoutHandlersIsRefused() {
    assertThatThrownBy(() -> jobs.startWorker(WorkerOptions.defaults()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("register a handler");
    jobs.register("a", Greet.class, ctx -> null);
    assertThatThrownBy(() -> jobs.register("a", Greet.class, ctx -> null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("job type a already has a handler");
  }

  @Test
  void manyJobsRunOnceEachWithSeveralWorkers() {
    AtomicInteger runs = new AtomicInteger();
    jobs.register("n", Greet.class, ctx -> runs.incrementAndGet());
    start(quick());
    start(quick());
    List<JobRequest> batch = new java.util.ArrayList<>();
    for (int i = 0; i < 500; i++) {
      batch.add(JobRequest.of("n", new Greet("u", i)).unique(Unique.byArgs()));
    }
    List<EnqueueResult> rs = jobs.enqueueAll(batch);
    assertThat(rs).allMatch(EnqueueResult::enqueued);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> jobs.stats().count(JobState.SUCCEEDED) == 500);
    assertThat(runs.get()).isEqualTo(500);
  }

  // ---- claiming ahead and completing in batches ---------------------------------------------

  /** A store that records claims and batched completions, and can slow or refuse completions. */
  static final class RecordingStore implements JobStore {
    final InMemoryJobStore inner = InMemoryJobStore.create();
    final List<Integer> claimLimits = new CopyOnWriteArrayList<>();
    final List<Integer> completionBatches = new CopyOnWriteArrayList<>();

    /** When set, the first completeAll waits until it is counted down. */
    volatile @org.jspecify.annotations.Nullable CountDownLatch firstWrite;

    volatile String refusedResult = "\u0000never";

    @Override
    public EnqueueResult enqueue(NewJob job) {
      return inner.enqueue(job);
    }

    @Override
    public List<EnqueueResult> enqueueAll(List<NewJob> jobs) {
      return inner.enqueueAll(jobs);
    }

    @Override
    public List<Job> claim(JobClaim claim) {
      claimLimits.add(claim.limit());
      return inner.claim(claim);
    }

    @Override
    public boolean heartbeat(String id, long token, Duration lease) {
      return inner.heartbeat(id, token, lease);
    }

    @Override
    public Optional<Job> complete(String id, long token, String result) {
      if (refusedResult.equals(result)) {
        throw new IllegalArgumentException("result " + result + " cannot be stored");
      }
      return inner.complete(id, token, result);
    }

    @Override
    public List<Optional<Job>> completeAll(List<JobCompletion> completions) {
      completionBatches.add(completions.size());
      for (JobCompletion c : completions) {
        if (refusedResult.equals(c.result())) {
          throw new IllegalArgumentException("result " + c.result() + " cannot be stored");
        }
      }
      CountDownLatch gate = firstWrite;
      firstWrite = null; // one writer thread: only the first call waits
      if (gate != null) {
        try {
          if (!gate.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the test never opened the first write");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return JobStore.super.completeAll(completions);
    }

    @Override
    public Optional<Job> fail(String id, long token, String error, Instant retryAt) {
      return inner.fail(id, token, error, retryAt);
    }

    @Override
    public Optional<Job> release(String id, long token) {
      return inner.release(id, token);
    }

    @Override
    public Optional<Job> cancel(String id) {
      return inner.cancel(id);
    }

    @Override
    public Optional<Job> retry(String id) {
      return inner.retry(id);
    }

    @Override
    public Optional<Job> get(String id) {
      return inner.get(id);
    }

    @Override
    public JobPage list(JobQuery query) {
      return inner.list(query);
    }

    @Override
    public PendingSummary pending(String uniqueKey) {
      return inner.pending(uniqueKey);
    }

    @Override
    public JobStats stats() {
      return inner.stats();
    }

    @Override
    public MaintenanceResult maintain() {
      return inner.maintain();
    }

    @Override
    public int purge(Instant finishedBefore) {
      return inner.purge(finishedBefore);
    }

    @Override
    public AutoCloseable subscribe(Runnable listener) {
      return inner.subscribe(listener);
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  @Test
  void aWorkerClaimsAheadUpToItsPrefetchAndCompletesWhatWaitsInOneCall() throws Exception {
    RecordingStore recording = new RecordingStore();
    CountDownLatch firstWrite = new CountDownLatch(1);
    recording.firstWrite = firstWrite; // successes pile up while the first write is under way
    Jobs on = Jobs.builder(recording).build();
    CountDownLatch go = new CountDownLatch(1);
    AtomicInteger handled = new AtomicInteger();
    on.register(
        "slow",
        Greet.class,
        ctx -> {
          boolean inTime = go.await(10, TimeUnit.SECONDS);
          handled.incrementAndGet();
          return inTime ? "ok" : "late";
        });
    List<JobRequest> batch = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      batch.add(JobRequest.of("slow", new Greet("u", i)));
    }
    on.enqueueAll(batch);
    Worker w =
        on.startWorker(
            WorkerOptions.defaults()
                .concurrency(2)
                .prefetch(6)
                .pollInterval(Duration.ofMillis(20)));
    workers.add(w);

    // 2 handlers blocked, 6 more claimed ahead: 8 jobs are this worker's, the rest wait
    await().atMost(Duration.ofSeconds(5)).until(() -> on.stats().count(JobState.RUNNING) == 8);
    assertThat(w.runningCount()).isEqualTo(8);
    assertThat(on.stats().count(JobState.QUEUED)).isEqualTo(32);
    assertThat(recording.claimLimits).allMatch(limit -> limit <= 8);
    go.countDown();
    // No slot frees before a write: the 8 jobs run, and (on 2 threads, each handing its job over
    // before taking the next) at least 6 are handed over while the first write waits.
    await().atMost(Duration.ofSeconds(5)).until(() -> handled.get() == 8);
    firstWrite.countDown();

    await().atMost(Duration.ofSeconds(10)).until(() -> on.stats().count(JobState.SUCCEEDED) == 40);
    assertThat(recording.completionBatches.stream().mapToInt(Integer::intValue).sum())
        .isEqualTo(40);
    assertThat(recording.completionBatches).anyMatch(size -> size > 1);
  }

  @Test
  void aResultTheStoreRefusesFailsItsAttemptAndTheOthersOfTheBatchComplete() {
    RecordingStore recording = new RecordingStore();
    recording.refusedResult = "\"poison\"";
    CountDownLatch firstWrite = new CountDownLatch(1);
    recording.firstWrite = firstWrite;
    Jobs on =
        Jobs.builder(recording)
            .defaultRetry(FAST.noRetryOn(IllegalArgumentException.class))
            .build();
    AtomicInteger handled = new AtomicInteger();
    on.register(
        "r",
        Greet.class,
        ctx -> {
          handled.incrementAndGet();
          return ctx.args().times() == 3 ? "poison" : "fine";
        });
    List<JobRequest> batch = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      batch.add(JobRequest.of("r", new Greet("u", i)));
    }
    List<EnqueueResult> rs = on.enqueueAll(batch);
    // one thread runs the 8 jobs in order, each handed over before the next starts; the first
    // write waits until all ran, so the poison (the 4th) is written in a batch with others
    workers.add(on.startWorker(quick().concurrency(1).prefetch(7)));
    await().atMost(Duration.ofSeconds(5)).until(() -> handled.get() == 8);
    firstWrite.countDown();

    String poisoned = rs.get(3).job().id();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> on.get(poisoned).orElseThrow().state() == JobState.DEAD);
    assertThat(on.get(poisoned).orElseThrow().lastError())
        .contains("IllegalArgumentException")
        .contains("cannot be stored");
    await().atMost(Duration.ofSeconds(10)).until(() -> on.stats().count(JobState.SUCCEEDED) == 7);
    assertThat(recording.completionBatches).anyMatch(size -> size > 1);
  }

  @Test
  void shutdownWritesEverySuccessStillWaitingForTheWriter() throws Exception {
    RecordingStore recording = new RecordingStore();
    CountDownLatch firstWrite = new CountDownLatch(1);
    recording.firstWrite = firstWrite; // the writer is busy with its first write
    Jobs on = Jobs.builder(recording).build();
    AtomicInteger ran = new AtomicInteger();
    on.register("q", Greet.class, ctx -> ran.incrementAndGet());
    List<JobRequest> batch = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      batch.add(JobRequest.of("q", new Greet("u", i)));
    }
    on.enqueueAll(batch);
    Worker w = on.startWorker(quick().concurrency(4).prefetch(8));
    await().atMost(Duration.ofSeconds(5)).until(() -> ran.get() == 12);

    CompletableFuture<Boolean> shutdown = shutdownInBackground(w, Duration.ofSeconds(10));
    firstWrite.countDown();

    assertThat(shutdown.get(10, TimeUnit.SECONDS)).isTrue();

    assertThat(on.stats().count(JobState.SUCCEEDED)).isEqualTo(12);
    assertThat(w.runningCount()).isZero();
  }

  @Test
  void prefetchOutOfRangeIsRefusedNamingTheValue() {
    assertThatThrownBy(() -> WorkerOptions.defaults().prefetch(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prefetch must be between 0 and 10000, but was -1");
    assertThat(WorkerOptions.defaults().prefetch(30).prefetch()).isEqualTo(30);
    assertThat(WorkerOptions.defaults().prefetch()).isZero();
  }
}
