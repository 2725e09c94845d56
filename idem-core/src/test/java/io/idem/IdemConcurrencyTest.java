package io.idem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.idem.memory.InMemoryIdempotencyStore;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.RecordState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Callers that overlap: in-progress conflicts, waiting, lease takeover and heartbeats. */
class IdemConcurrencyTest {

  private static final Instant T0 = Instant.parse("2025-10-01T08:00:00Z");
  private static final long TIMEOUT_SECONDS = 10;

  private final SettableClock clock = new SettableClock(T0);
  private final InMemoryIdempotencyStore store = InMemoryIdempotencyStore.create(clock);
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final AtomicInteger runs = new AtomicInteger();
  private final IdempotencyKey key =
      IdempotencyKey.of("jobs.run", Scope.tenant("acme"), Map.of("id", 1));

  /** The first caller's body says it started, then waits for the test to release it. */
  private final CountDownLatch started = new CountDownLatch(1);

  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void tearDown() throws InterruptedException {
    release.countDown();
    pool.shutdownNow();
    assertThat(pool.awaitTermination(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
  }

  private Idem.Builder idem() {
    return Idem.builder(store).clock(clock).noBackgroundPurge();
  }

  private <T> Callable<T> blocking(T value) {
    return () -> {
      runs.incrementAndGet();
      started.countDown();
      if (!release.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the test never released the body");
      }
      return value;
    };
  }

  private <T> Callable<T> counting(T value) {
    return () -> {
      runs.incrementAndGet();
      return value;
    };
  }

  private <T> Future<Outcome<T>> inBackground(Callable<Outcome<T>> call) {
    return pool.submit(call);
  }

  private void awaitStarted() throws InterruptedException {
    assertThat(started.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("first body started").isTrue();
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  private static IdemListener onConflict(CountDownLatch conflict) {
    return e -> {
      if (e.type() == IdemEvent.Type.IN_PROGRESS_CONFLICT) {
        conflict.countDown();
      }
    };
  }

  @Test
  void concurrentDuplicateIsRejectedWhileTheFirstRuns() throws Exception {
    List<IdemEvent> events = new CopyOnWriteArrayList<>();
    IdemPolicy reject = IdemPolicy.builder().onInProgress(InProgressPolicy.reject()).build();
    try (Idem idem = idem().defaultPolicy(reject).listener(events::add).build()) {
      Future<Outcome<String>> first = inBackground(() -> idem.once(key, "p", blocking("first")));
      awaitStarted();

      InProgressException e =
          catchThrowableOfType(
              InProgressException.class, () -> idem.once(key, "p", counting("second")));

      assertThat(e.key()).isEqualTo(key.value());
      assertThat(e.attempt()).isEqualTo(1);
      assertThat(e.leaseUntil()).isEqualTo(T0.plus(IdemPolicy.DEFAULT_LEASE));
      assertThat(e.getMessage()).contains(key.value()).contains("in progress");
      assertThat(runs).hasValue(1);
      assertThat(events).hasSize(1);
      assertThat(events.get(0).type()).isEqualTo(IdemEvent.Type.IN_PROGRESS_CONFLICT);
      assertThat(events.get(0).namespace()).isEqualTo("jobs.run");
      assertThat(events.get(0).key()).isEqualTo(key.value());
      assertThat(events.get(0).attempt()).isEqualTo(1);

      release.countDown();
      Outcome<String> outcome = get(first);
      assertThat(outcome.wasExecuted()).isTrue();
      assertThat(outcome.value()).isEqualTo("first");
      assertThat(idem.once(key, "p", counting("third")).value()).isEqualTo("first");
      assertThat(runs).hasValue(1);
    }
  }

  @Test
  void concurrentDuplicateWaitsForTheFirstResult() throws Exception {
    CountDownLatch conflict = new CountDownLatch(1);
    IdemPolicy wait =
        IdemPolicy.builder().onInProgress(InProgressPolicy.waitUpTo(Duration.ofSeconds(5))).build();
    try (Idem idem = idem().defaultPolicy(wait).listener(onConflict(conflict)).build()) {
      Future<Outcome<String>> first = inBackground(() -> idem.once(key, "p", blocking("first")));
      awaitStarted();
      Future<Outcome<String>> second = inBackground(() -> idem.once(key, "p", counting("second")));
      assertThat(conflict.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
      assertThat(second).isNotDone();

      release.countDown();

      Outcome<String> waited = get(second);
      assertThat(waited.wasReplayed()).isTrue();
      assertThat(waited.value()).isEqualTo("first");
      assertThat(waited.token()).isEqualTo(get(first).token());
      assertThat(get(first).wasExecuted()).isTrue();
      assertThat(runs).hasValue(1);
    }
  }

  @Test
  void waitRunsOutWhileTheFirstStillRuns() throws Exception {
    CountDownLatch conflict = new CountDownLatch(1);
    IdemPolicy shortWait =
        IdemPolicy.builder()
            .onInProgress(InProgressPolicy.waitUpTo(Duration.ofMillis(100)))
            .build();
    try (Idem idem =
        idem().ticker(clock).defaultPolicy(shortWait).listener(onConflict(conflict)).build()) {
      Future<Outcome<String>> first = inBackground(() -> idem.once(key, "p", blocking("first")));
      awaitStarted();

      Future<Outcome<String>> second = inBackground(() -> idem.once(key, "p", counting("second")));
      assertThat(conflict.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
      // the wait is timed on the ticker: it cannot run out while the clock stands still
      assertThat(second).isNotDone();
      await()
          .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
          .until(
              () -> {
                clock.advance(Duration.ofMillis(20));
                return second.isDone();
              });
      assertThat(clock.instant()).isAfterOrEqualTo(T0.plusMillis(100));

      ExecutionException gaveUp = catchThrowableOfType(ExecutionException.class, () -> get(second));
      assertThat(gaveUp.getCause())
          .isInstanceOf(InProgressException.class)
          .hasMessageContaining(key.value())
          .hasMessageContaining("gave up after waiting PT0.1S");
      assertThat(runs).hasValue(1);
      release.countDown();
      assertThat(get(first).value()).isEqualTo("first");
    }
  }

  @Test
  void waiterTakesOverWhenTheHolderLeasePasses() throws Exception {
    CountDownLatch conflict = new CountDownLatch(1);
    IdemPolicy policy =
        IdemPolicy.builder()
            .lease(Duration.ofSeconds(10))
            .noHeartbeat()
            .onInProgress(InProgressPolicy.waitUpTo(Duration.ofSeconds(5)))
            .build();
    try (Idem idem = idem().defaultPolicy(policy).listener(onConflict(conflict)).build()) {
      Future<Outcome<String>> first = inBackground(() -> idem.once(key, "p", blocking("first")));
      awaitStarted();
      Future<Outcome<String>> second = inBackground(() -> idem.once(key, "p", counting("second")));
      assertThat(conflict.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();

      clock.advance(Duration.ofSeconds(10));

      Outcome<String> tookOver = get(second);
      assertThat(tookOver.wasExecuted()).isTrue();
      assertThat(tookOver.attempt()).isEqualTo(2);
      assertThat(tookOver.value()).isEqualTo("second");

      release.countDown();
      ExecutionException lost = catchThrowableOfType(ExecutionException.class, () -> get(first));
      assertThat(lost).hasCauseInstanceOf(LeaseLostException.class);
      assertThat(runs).hasValue(2);
    }
  }

  @Test
  void leasePassedIsTakenOverAndTheFirstHolderLosesItsResult() throws Exception {
    List<IdemEvent> events = new CopyOnWriteArrayList<>();
    IdemPolicy policy = IdemPolicy.builder().lease(Duration.ofSeconds(10)).noHeartbeat().build();
    try (Idem idem = idem().defaultPolicy(policy).listener(events::add).build()) {
      Future<Outcome<String>> first = inBackground(() -> idem.once(key, "p", blocking("first")));
      awaitStarted();
      IdempotencyRecord held = idem.inspect(key).orElseThrow();
      assertThat(held.state()).isEqualTo(RecordState.IN_PROGRESS);
      assertThat(held.leaseUntil()).isEqualTo(T0.plusSeconds(10));

      clock.advance(Duration.ofSeconds(10).plusMillis(1));
      Outcome<String> second = idem.once(key, "p", counting("second"));

      assertThat(second.wasExecuted()).isTrue();
      assertThat(second.attempt()).isEqualTo(2);
      assertThat(second.token()).isGreaterThan(held.token());
      assertThat(second.value()).isEqualTo("second");

      release.countDown();
      ExecutionException failure = catchThrowableOfType(ExecutionException.class, () -> get(first));
      assertThat(failure.getCause()).isInstanceOf(LeaseLostException.class);
      LeaseLostException lost = (LeaseLostException) failure.getCause();
      assertThat(lost.token()).isEqualTo(held.token());
      assertThat(lost.key()).isEqualTo(key.value());
      assertThat(lost.getMessage()).contains("was lost").contains("not recorded");

      IdempotencyRecord stored = idem.inspect(key).orElseThrow();
      assertThat(stored.state()).isEqualTo(RecordState.COMPLETED);
      assertThat(stored.token()).isEqualTo(second.token());
      assertThat(stored.result().value()).isEqualTo("second");
      assertThat(idem.once(key, "p", counting("third")).value()).isEqualTo("second");
      assertThat(runs).hasValue(2);
      assertThat(events)
          .extracting(IdemEvent::type)
          .containsExactly(
              IdemEvent.Type.EXECUTED, IdemEvent.Type.LEASE_LOST, IdemEvent.Type.REPLAYED);
      assertThat(events.get(1).token()).isEqualTo(held.token());
    }
  }

  @Test
  void holderThatFailsAfterATakeoverDoesNotOverwriteTheNewResult() throws Exception {
    IdemPolicy policy = IdemPolicy.builder().lease(Duration.ofSeconds(10)).noHeartbeat().build();
    try (Idem idem = idem().defaultPolicy(policy).build()) {
      IllegalStateException boom = new IllegalStateException("late failure");
      Future<Outcome<String>> first =
          inBackground(
              () ->
                  idem.once(
                      key,
                      "p",
                      () -> {
                        started.countDown();
                        release.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                        throw boom;
                      }));
      awaitStarted();
      clock.advance(Duration.ofSeconds(11));
      Outcome<String> second = idem.once(key, "p", counting("second"));

      release.countDown();
      ExecutionException failure = catchThrowableOfType(ExecutionException.class, () -> get(first));

      assertThat(failure.getCause()).isSameAs(boom);
      assertThat(boom.getSuppressed()).hasSize(1);
      assertThat(boom.getSuppressed()[0]).isInstanceOf(LeaseLostException.class);
      IdempotencyRecord stored = idem.inspect(key).orElseThrow();
      assertThat(stored.state()).isEqualTo(RecordState.COMPLETED);
      assertThat(stored.token()).isEqualTo(second.token());
    }
  }

  @Test
  void heartbeatKeepsALongBodyFromBeingTakenOver() throws Exception {
    IdemPolicy policy =
        IdemPolicy.builder()
            .lease(Duration.ofMillis(300))
            .heartbeat(Duration.ofMillis(50))
            .onInProgress(InProgressPolicy.reject())
            .build();
    try (Idem idem = idem().ticker(clock).defaultPolicy(policy).build()) {
      Future<Outcome<String>> first = inBackground(() -> idem.once(key, "p", blocking("first")));
      awaitStarted();
      assertThat(idem.inspect(key).orElseThrow().leaseUntil()).isEqualTo(T0.plusMillis(300));

      // beat by beat, twice past the first lease, which only the heartbeat extends
      for (int i = 0; i < 16; i++) {
        clock.advance(Duration.ofMillis(50));
        Instant extended = clock.instant().plusMillis(300);
        await()
            .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
            .until(() -> idem.inspect(key).orElseThrow().leaseUntil().equals(extended));
      }
      assertThat(clock.instant()).isAfter(T0.plusMillis(600));
      assertThatThrownBy(() -> idem.once(key, "p", counting("second")))
          .isInstanceOf(InProgressException.class);
      release.countDown();

      Outcome<String> outcome = get(first);
      assertThat(outcome.wasExecuted()).isTrue();
      assertThat(outcome.attempt()).isEqualTo(1);
      assertThat(runs).hasValue(1);
    }
  }

  @Test
  void withoutHeartbeatALongBodyIsTakenOverOnTheSystemClock() throws Exception {
    InMemoryIdempotencyStore systemStore = InMemoryIdempotencyStore.create();
    IdemPolicy policy =
        IdemPolicy.builder()
            .lease(Duration.ofMillis(150))
            .noHeartbeat()
            .onInProgress(InProgressPolicy.reject())
            .build();
    try (Idem idem = Idem.builder(systemStore).noBackgroundPurge().defaultPolicy(policy).build()) {
      Future<Outcome<String>> first = inBackground(() -> idem.once(key, "p", blocking("first")));
      awaitStarted();

      // rejected while the lease runs, taken over once it has passed on the store's system clock
      Outcome<String> second =
          await()
              .atMost(Duration.ofSeconds(TIMEOUT_SECONDS))
              .ignoreException(InProgressException.class)
              .until(() -> idem.once(key, "p", counting("second")), o -> true);

      assertThat(second.wasExecuted()).isTrue();
      assertThat(second.attempt()).isEqualTo(2);
      release.countDown();
      ExecutionException failure = catchThrowableOfType(ExecutionException.class, () -> get(first));
      assertThat(failure).hasCauseInstanceOf(LeaseLostException.class);
    }
  }

  @Test
  void payloadMismatchIsReportedEvenWhileTheFirstRuns() throws Exception {
    try (Idem idem = idem().build()) {
      Future<Outcome<String>> first = inBackground(() -> idem.once(key, "p", blocking("first")));
      awaitStarted();

      assertThatThrownBy(() -> idem.once(key, "other", counting("second")))
          .isInstanceOf(PayloadMismatchException.class);

      release.countDown();
      assertThat(get(first).wasExecuted()).isTrue();
      assertThat(runs).hasValue(1);
    }
  }

  @Test
  void manyConcurrentCallersRunTheBodyOnce() throws Exception {
    int callers = 16;
    CyclicBarrier barrier = new CyclicBarrier(callers);
    // the body runs until every other caller has met it in progress
    CountDownLatch others = new CountDownLatch(callers - 1);
    IdemPolicy wait =
        IdemPolicy.builder().onInProgress(InProgressPolicy.waitUpTo(Duration.ofSeconds(5))).build();
    try (Idem idem = idem().defaultPolicy(wait).listener(onConflict(others)).build()) {
      List<CompletableFuture<Outcome<Integer>>> outcomes = new ArrayList<>();
      for (int i = 0; i < callers; i++) {
        outcomes.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    barrier.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                  return idem.once(
                      key,
                      "p",
                      () -> {
                        int run = runs.incrementAndGet();
                        if (!others.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                          throw new IllegalStateException("the other callers never came");
                        }
                        return run;
                      });
                },
                pool));
      }

      int executed = 0;
      for (CompletableFuture<Outcome<Integer>> f : outcomes) {
        Outcome<Integer> o = f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(o.value()).isEqualTo(1);
        executed += o.wasExecuted() ? 1 : 0;
      }
      assertThat(executed).isEqualTo(1);
      assertThat(runs).hasValue(1);
    }
  }
}
