package io.idem.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.idem.Idem;
import io.idem.IdemPolicy;
import io.idem.IdempotencyKey;
import io.idem.InProgressException;
import io.idem.InProgressPolicy;
import io.idem.LeaseLostException;
import io.idem.Outcome;
import io.idem.PayloadFingerprint;
import io.idem.Scope;
import io.idem.StoreUnavailableException;
import io.idem.job.ConflictPolicy;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.ClaimStatus;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.LockAttempt;
import io.idem.spi.LockLease;
import io.idem.spi.NewJob;
import io.idem.spi.RecordState;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import io.idem.testkit.SettableClock;
import io.idem.testkit.StaleTokens;
import io.idem.testkit.servers.PostgresServer;
import io.idem.testkit.servers.TestServers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What happens to running work when PostgreSQL goes away, and when a holder dies. */
class PostgresFaultTest {

  private HikariDataSource pool;

  @AfterEach
  void closePool() {
    if (pool != null) {
      pool.close();
    }
  }

  /**
   * PostgreSQL restarted in the middle of a run: stopped fast (sessions ended) or immediately (a
   * crash, recovered from the WAL on start), then started again, while eight callers run 600 keys
   * and one body is held inside its run. What the design promises, and this test makes happen:
   *
   * <ul>
   *   <li>a call that starts while PostgreSQL is down fails with StoreUnavailableException within
   *       the pool's connection timeout (a probe on a fresh key, whose body never runs);
   *   <li>a body that ran while PostgreSQL went away has its completion retried by Idem (for four
   *       fifths of the lease from its claim) and recorded once PostgreSQL is back: the held body
   *       is released only when PostgreSQL is down, so its completion fails and is retried;
   *   <li>so no body runs twice and no claim is left IN_PROGRESS, provided the outage ends within
   *       that window: the server is down only for the probe and the held completion's failure,
   *       each bounded by the connection timeout, plus what stopping and starting take.
   * </ul>
   */
  @ParameterizedTest(name = "immediate stop: {0}")
  @ValueSource(booleans = {false, true})
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void postgresRestartedInTheMiddleOfARunRunsNoBodyTwiceAndLeavesNoClaimBehind(boolean immediate)
      throws Exception {
    PostgresServer server = TestServers.postgres();
    TestServers.requireManaged(server);
    String schema = server.createSchema("idem_restart");
    // A short connection timeout: during the outage a step fails after 1 s instead of 30 s.
    Duration connectionTimeout = Duration.ofSeconds(1);
    // What a failing step may take beyond the connection timeout (a dead pooled connection found
    // and evicted first, a loaded machine's scheduling).
    Duration margin = Duration.ofSeconds(2);
    pool = PostgresTests.pool(12, connectionTimeout);
    CountingStore store =
        new CountingStore(PostgresIdempotencyStore.builder(pool).schema(schema).build());
    // Idem retries a completion for four fifths of the lease from the claim (24 s here); the
    // outage below takes the probe and the held completion's failure (at most 2 x 3 s) plus a stop
    // and a start (about a second each), and is asserted to stay within half of that window.
    Duration lease = Duration.ofSeconds(30);
    Duration retryWindow = lease.multipliedBy(4).dividedBy(5);
    IdemPolicy policy =
        IdemPolicy.builder()
            .lease(lease)
            .onInProgress(InProgressPolicy.waitUpTo(Duration.ofSeconds(60)))
            .build();

    int threads = 8;
    int keys = 600;
    String run = UUID.randomUUID().toString();
    Map<String, AtomicInteger> bodies = new ConcurrentHashMap<>();
    AtomicInteger executed = new AtomicInteger();
    AtomicInteger unavailable = new AtomicInteger();
    AtomicInteger leaseLost = new AtomicInteger();
    AtomicInteger inProgress = new AtomicInteger();
    AtomicBoolean restarted = new AtomicBoolean();
    IdempotencyKey held = IdempotencyKey.of("restart", Scope.tenant(run), Map.of("held", true));
    IdempotencyKey probe = IdempotencyKey.of("restart", Scope.tenant(run), Map.of("probe", true));
    CountDownLatch heldRunning = new CountDownLatch(1);
    CountDownLatch releaseHeld = new CountDownLatch(1);
    Duration probeTook;
    Duration outage;
    Outcome<String> heldOutcome;

    try (Idem idem = Idem.builder(store).noBackgroundPurge().build()) {
      ExecutorService workerThreads = Executors.newFixedThreadPool(threads + 1);
      try {
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          List<Integer> order = new ArrayList<>();
          for (int i = 0; i < keys; i++) {
            order.add(i);
          }
          Collections.shuffle(order, new Random(t));
          workers.add(
              workerThreads.submit(
                  () -> {
                    do {
                      for (int i : order) {
                        IdempotencyKey key =
                            IdempotencyKey.of("restart", Scope.tenant(run), Map.of("i", i));
                        while (true) {
                          try {
                            Outcome<String> o =
                                idem.once(
                                    key,
                                    Map.of("i", i),
                                    policy,
                                    () -> {
                                      count(bodies, key);
                                      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                                      return "done";
                                    });
                            if (o.wasExecuted()) {
                              executed.incrementAndGet();
                            }
                            break;
                          } catch (StoreUnavailableException e) {
                            unavailable.incrementAndGet();
                          } catch (LeaseLostException e) {
                            leaseLost.incrementAndGet(); // see the report of this test
                          } catch (InProgressException e) {
                            inProgress.incrementAndGet();
                          }
                          // a caller's backoff before it tries the key again
                          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                        }
                      }
                    } while (!restarted.get());
                    return null;
                  }));
        }

        await().atMost(Duration.ofSeconds(60)).until(() -> executed.get() >= keys / 4);
        long heldCalled = System.nanoTime(); // the held key is claimed after this
        Future<Outcome<String>> heldCall =
            workerThreads.submit(
                () ->
                    idem.once(
                        held,
                        null,
                        policy,
                        () -> {
                          count(bodies, held);
                          heldRunning.countDown();
                          assertThat(releaseHeld.await(60, TimeUnit.SECONDS)).isTrue();
                          return "held";
                        }));
        assertThat(heldRunning.await(30, TimeUnit.SECONDS)).isTrue();

        server.stop(immediate);
        try {
          // a new claim while PostgreSQL is down fails within the connection timeout
          long probed = System.nanoTime();
          assertThatThrownBy(() -> idem.once(probe, null, policy, () -> count(bodies, probe)))
              .isInstanceOf(StoreUnavailableException.class);
          probeTook = Duration.ofNanos(System.nanoTime() - probed);
          assertThat(probeTook).isLessThan(connectionTimeout.plus(margin));

          // the held body ends while PostgreSQL is down: its completion fails (and is retried)
          releaseHeld.countDown();
          await()
              .atMost(connectionTimeout.plus(margin))
              .until(() -> store.completeFailedFor.contains(held.value()));
        } finally {
          releaseHeld.countDown();
          server.start(); // whatever happened: the tests after this one need the server
        }
        outage = Duration.ofNanos(System.nanoTime() - heldCalled);
        assertThat(outage)
            .as(
                "from the held claim to PostgreSQL accepting connections again: within half of the"
                    + " %s in which Idem retries completions, the rest left for reconnecting",
                retryWindow)
            .isLessThan(retryWindow.dividedBy(2));

        heldOutcome = heldCall.get(60, TimeUnit.SECONDS);
        restarted.set(true);
        for (Future<?> w : workers) {
          w.get(150, TimeUnit.SECONDS);
        }
      } finally {
        workerThreads.shutdownNow();
      }

      // the probe's key was never claimed: its body runs now, once
      assertThat(bodies).doesNotContainKey(probe.value());
      assertThat(idem.once(probe, null, policy, () -> count(bodies, probe)).wasExecuted()).isTrue();
    }

    System.out.printf(
        "restart run (immediate %s): %d bodies, %d calls failed with StoreUnavailableException, %d"
            + " LeaseLostException, %d InProgressException; store step failures: %s; probe failed"
            + " in %d ms; down for %d ms from the held claim%n",
        immediate,
        executed.get(),
        unavailable.get(),
        leaseLost.get(),
        inProgress.get(),
        store.failuresByStep,
        probeTook.toMillis(),
        outage.toMillis());
    assertThat(heldOutcome.wasExecuted()).isTrue();
    assertThat(heldOutcome.value()).isEqualTo("held");
    assertThat(heldOutcome.attempt()).isEqualTo(1);
    assertThat(store.failuresByStep.get("complete"))
        .as("completions that failed during the outage and were retried")
        .hasPositiveValue();
    IdempotencyRecord heldRecord = store.delegate.get(held.value()).orElseThrow();
    assertThat(heldRecord.state()).isEqualTo(RecordState.COMPLETED);
    assertThat(heldRecord.token()).isEqualTo(heldOutcome.token());
    assertThat(heldRecord.attempt()).isEqualTo(1);

    assertThat(bodies).hasSize(keys + 2);
    assertThat(bodies.entrySet())
        .allSatisfy(e -> assertThat(e.getValue().get()).as("runs of %s", e.getKey()).isEqualTo(1));
    assertThat(
            PostgresTests.queryLong(
                pool,
                "SELECT count(*) FROM " + schema + ".idem_records WHERE state = 'IN_PROGRESS'"))
        .isZero();
    assertThat(
            PostgresTests.queryLong(
                pool, "SELECT count(*) FROM " + schema + ".idem_records WHERE state = 'COMPLETED'"))
        .isEqualTo(keys + 2);
  }

  /** Counts a run of {@code key}'s body; returns the count. */
  private static int count(Map<String, AtomicInteger> bodies, IdempotencyKey key) {
    return bodies.computeIfAbsent(key.value(), k -> new AtomicInteger()).incrementAndGet();
  }

  /**
   * Lock rows are committed like any row, so tokens keep growing after PostgreSQL restarts: a
   * leased lock is still held after the restart and its next token is greater; an advisory lock is
   * freed by the restart (its session ended), and its next token is greater too.
   */
  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void lockTokensSurviveARestartOfPostgres() {
    PostgresServer server = TestServers.postgres();
    TestServers.requireManaged(server);
    String schema = server.createSchema("idem_lock_restart");
    pool = PostgresTests.pool(4, Duration.ofSeconds(1));
    SettableClock clock = SettableClock.create();
    Duration lease = Duration.ofSeconds(30);
    PostgresLockStore leased = PostgresLockStore.builder(pool).schema(schema).clock(clock).build();
    try (PostgresAdvisoryLockStore advisory =
        PostgresAdvisoryLockStore.builder(pool).schema(schema).clock(clock).build()) {
      for (int i = 0; i < 3; i++) {
        LockLease l = leased.tryAcquire("nightly", "node-1", lease).lease();
        assertThat(leased.release("nightly", l.token(), Duration.ZERO)).isTrue();
      }
      LockAttempt heldLease = leased.tryAcquire("nightly", "node-1", lease);
      LockAttempt heldAdvisory = advisory.tryAcquire("report", "node-1", lease);
      assertThat(heldLease.acquired()).isTrue();
      assertThat(heldAdvisory.acquired()).isTrue();

      server.restart();

      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreException(StoreUnavailableException.class)
          .until(() -> leased.holder("nightly").isPresent());
      assertThat(leased.holder("nightly")).contains(heldLease.lease());
      assertThat(leased.tryAcquire("nightly", "node-2", lease).acquired()).isFalse();
      clock.advance(lease);
      LockAttempt next = leased.tryAcquire("nightly", "node-2", lease);
      assertThat(next.acquired()).isTrue();
      assertThat(next.lease().token()).isGreaterThan(heldLease.lease().token());

      assertThat(advisory.extend("report", heldAdvisory.lease().token(), lease))
          .as("the session that held the advisory lock ended with the restart")
          .isFalse();
      assertThat(advisory.holder("report")).isEmpty();
      LockAttempt again = advisory.tryAcquire("report", "node-2", lease);
      assertThat(again.acquired()).isTrue();
      assertThat(again.lease().token()).isGreaterThan(heldAdvisory.lease().token());
    }
  }

  /**
   * A job subscriber of one store is woken by another store's enqueue (another pool) within a
   * second; PostgreSQL restarts (stopped fast, or immediately as in a crash), the subscriber's
   * listening thread connects again and calls its listeners once (notifications sent meanwhile are
   * lost), and the next enqueue wakes it within a second again.
   */
  @ParameterizedTest(name = "immediate stop: {0}")
  @ValueSource(booleans = {false, true})
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aJobSubscriberIsWokenByAnotherStoreBeforeAndAfterARestartOfPostgres(boolean immediate)
      throws Exception {
    PostgresServer server = TestServers.postgres();
    TestServers.requireManaged(server);
    String schema = server.createSchema("idem_listen_restart");
    pool = PostgresTests.pool(4, Duration.ofSeconds(1));
    AtomicInteger calls = new AtomicInteger();
    try (HikariDataSource otherPool = PostgresTests.pool(4, Duration.ofSeconds(1));
        PostgresJobStore listening = PostgresJobStore.builder(pool).schema(schema).build();
        PostgresJobStore enqueuing =
            PostgresJobStore.builder(otherPool).schema(schema).applySchema(false).build();
        AutoCloseable subscription = listening.subscribe(calls::incrementAndGet)) {
      assertThat(listening.listening()).isTrue();
      enqueuing.enqueue(newJob());
      await().atMost(Duration.ofSeconds(1)).until(() -> calls.get() == 1);

      server.stop(immediate);
      await().atMost(Duration.ofSeconds(10)).until(() -> !listening.listening());
      server.start();
      await().atMost(Duration.ofSeconds(30)).until(listening::listening);
      await().atMost(Duration.ofSeconds(5)).until(() -> calls.get() == 2);

      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreException(StoreUnavailableException.class)
          .until(() -> enqueuing.enqueue(newJob()).enqueued());
      await().atMost(Duration.ofSeconds(1)).until(() -> calls.get() == 3);
    }
  }

  private static NewJob newJob() {
    return new NewJob(
        UUID.randomUUID().toString(),
        "t",
        "default",
        0,
        "{}",
        null,
        null,
        null,
        3,
        null,
        Set.of(),
        ConflictPolicy.REJECT);
  }

  @Test
  void claimsWhoseHolderDiedAreRecoveredByLease() throws Exception {
    String schema = TestServers.postgres().createSchema("idem_dead");
    pool = PostgresTests.pool(4, Duration.ofSeconds(10));
    SettableClock clock = SettableClock.create();
    PostgresIdempotencyStore store =
        PostgresIdempotencyStore.builder(pool).schema(schema).clock(clock).build();
    IdempotencyKey key = IdempotencyKey.readable("report:" + UUID.randomUUID());
    Map<String, Integer> payload = Map.of("id", 7);
    Duration lease = Duration.ofSeconds(30);

    // The holder claims through the SPI, then dies: it never completes, fails or extends.
    ClaimResult dead =
        store.claim(
            new ClaimRequest(
                key.value(), PayloadFingerprint.of(payload), lease, Duration.ofHours(1), 5));
    assertThat(dead.status()).isEqualTo(ClaimStatus.CLAIMED);
    long deadToken = dead.record().token();

    IdemPolicy reject =
        IdemPolicy.builder().lease(lease).onInProgress(InProgressPolicy.reject()).build();
    AtomicInteger runs = new AtomicInteger();
    try (Idem idem = Idem.builder(store).clock(clock).noBackgroundPurge().build()) {
      clock.advance(lease.minusMillis(1));
      assertThatThrownBy(() -> idem.once(key, payload, reject, () -> runs.incrementAndGet()))
          .isInstanceOf(InProgressException.class);
      assertThat(runs).hasValue(0);

      clock.advance(Duration.ofMillis(1));
      CountDownLatch running = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      ExecutorService newHolder = Executors.newSingleThreadExecutor();
      Outcome<Integer> taken;
      try {
        Future<Outcome<Integer>> call =
            newHolder.submit(
                () ->
                    idem.once(
                        key,
                        payload,
                        reject,
                        () -> {
                          running.countDown();
                          assertThat(release.await(60, TimeUnit.SECONDS)).isTrue();
                          return runs.incrementAndGet();
                        }));
        assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();

        // the new holder's body runs: its claim is IN_PROGRESS with a new token
        IdempotencyRecord held = store.get(key.value()).orElseThrow();
        assertThat(held.state()).isEqualTo(RecordState.IN_PROGRESS);
        assertThat(held.attempt()).isEqualTo(2);
        assertThat(held.token()).isGreaterThan(deadToken);

        // the dead holder's token is refused while the new holder holds the key, and changes
        // nothing: neither a completion, a failure nor a longer lease
        assertThat(StaleTokens.assertRefusedAndChangeNothing(store, key.value(), deadToken))
            .isEqualTo(held);

        release.countDown();
        taken = call.get(30, TimeUnit.SECONDS);
        assertThat(taken.token()).isEqualTo(held.token());
      } finally {
        release.countDown();
        newHolder.shutdownNow();
      }

      assertThat(taken.wasExecuted()).isTrue();
      assertThat(taken.attempt()).isEqualTo(2);
      assertThat(taken.token()).isGreaterThan(deadToken);
      assertThat(runs).hasValue(1);
    }

    // and after the new holder completed
    StaleTokens.assertRefusedAndChangeNothing(store, key.value(), deadToken);
    IdempotencyRecord rec = store.get(key.value()).orElseThrow();
    assertThat(rec.state()).isEqualTo(RecordState.COMPLETED);
    assertThat(rec.attempt()).isEqualTo(2);
    assertThat(rec.token()).isGreaterThan(deadToken);
    assertThat(rec.result().encoded()).isEqualTo("1");
  }

  /** Complete, extend and fail with {@code token} all answer "not held". */
  /** Counts the store steps that failed, by step. */
  private static final class CountingStore implements IdempotencyStore {
    final IdempotencyStore delegate;
    final AtomicInteger failures = new AtomicInteger();
    final Map<String, AtomicInteger> failuresByStep = new ConcurrentHashMap<>();

    /** The keys whose completion failed at least once. */
    final Set<String> completeFailedFor = ConcurrentHashMap.newKeySet();

    CountingStore(IdempotencyStore delegate) {
      this.delegate = delegate;
    }

    private <T> T count(String step, java.util.function.Supplier<T> call) {
      try {
        return call.get();
      } catch (StoreUnavailableException e) {
        failures.incrementAndGet();
        failuresByStep.computeIfAbsent(step, s -> new AtomicInteger()).incrementAndGet();
        throw e;
      }
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
      return count("claim", () -> delegate.claim(request));
    }

    @Override
    public boolean complete(String key, long token, StoredResult result, Duration ttl) {
      try {
        return count("complete", () -> delegate.complete(key, token, result, ttl));
      } catch (StoreUnavailableException e) {
        completeFailedFor.add(key);
        throw e;
      }
    }

    @Override
    public boolean fail(
        String key, long token, @Nullable StoredError error, Duration retryAfter, Duration ttl) {
      return count("fail", () -> delegate.fail(key, token, error, retryAfter, ttl));
    }

    @Override
    public boolean extend(String key, long token, Duration lease) {
      return count("extend", () -> delegate.extend(key, token, lease));
    }

    @Override
    public Optional<IdempotencyRecord> get(String key) {
      return count("get", () -> delegate.get(key));
    }

    @Override
    public boolean delete(String key) {
      return count("delete", () -> delegate.delete(key));
    }

    @Override
    public int purgeExpired(int limit) {
      return count("purge", () -> delegate.purgeExpired(limit));
    }

    @Override
    public boolean readBeforeClaim() {
      return delegate.readBeforeClaim();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
