package io.idem.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.idem.IdemExecutionException;
import io.idem.SettableClock;
import io.idem.memory.InMemoryLockStore;
import io.idem.spi.LockAttempt;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LockManagerTest {

  private final SettableClock clock = new SettableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final InMemoryLockStore store = InMemoryLockStore.create(clock);

  /** On the settable clock for the store's leases and as the manager's ticker. */
  private final LockManager locks =
      LockManager.builder(store).owner("node-1").ticker(clock).build();

  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void close() throws InterruptedException {
    locks.close();
    pool.shutdownNow();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void tryRunRunsTheTaskWithTheTokenAndReleases() {
    LockOutcome<Long> o =
        locks.tryRun("autoclose", Duration.ofMinutes(1), Duration.ZERO, LockContext::token);

    assertThat(o.wasExecuted()).isTrue();
    assertThat(o.value()).isEqualTo(o.token()).isPositive();
    assertThat(locks.holder("autoclose")).isEmpty();
  }

  @Test
  void aHeldLockIsSkippedWithItsHolder() throws Exception {
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch finish = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<LockOutcome<String>> first =
          pool.submit(
              () ->
                  locks.tryRun(
                      "report",
                      Duration.ofMinutes(1),
                      Duration.ZERO,
                      lock -> {
                        inside.countDown();
                        finish.await(10, TimeUnit.SECONDS);
                        return "first";
                      }));
      assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
      AtomicInteger runs = new AtomicInteger();
      LockOutcome<Integer> second =
          LockManager.create(store, "node-2")
              .tryRun("report", Duration.ofMinutes(1), Duration.ZERO, l -> runs.incrementAndGet());

      assertThat(second.wasSkipped()).isTrue();
      assertThat(second.holder().orElseThrow().owner()).isEqualTo("node-1");
      assertThat(runs).hasValue(0);
      finish.countDown();
      assertThat(first.get(10, TimeUnit.SECONDS).value()).isEqualTo("first");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void lockAtLeastForKeepsTheLockAfterAShortTask() {
    locks.tryRun("nightly", Duration.ofMinutes(10), Duration.ofMinutes(5), l -> "done");

    assertThat(locks.holder("nightly")).isPresent();
    assertThat(
            locks
                .tryRun("nightly", Duration.ofMinutes(10), Duration.ZERO, l -> "again")
                .wasSkipped())
        .isTrue();
    clock.advance(Duration.ofMinutes(5));
    assertThat(
            locks
                .tryRun("nightly", Duration.ofMinutes(10), Duration.ZERO, l -> "again")
                .wasExecuted())
        .isTrue();
  }

  @Test
  void aFailingTaskReleasesTheLockAndItsExceptionReachesTheCaller() {
    assertThatThrownBy(
            () ->
                locks.tryRun(
                    "fails",
                    Duration.ofMinutes(1),
                    Duration.ZERO,
                    l -> {
                      throw new IllegalStateException("boom");
                    }))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(
            () ->
                locks.tryRun(
                    "fails",
                    Duration.ofMinutes(1),
                    Duration.ZERO,
                    l -> {
                      throw new IOException("io");
                    }))
        .isInstanceOf(IdemExecutionException.class)
        .hasCauseInstanceOf(IOException.class);
    assertThat(locks.holder("fails")).isEmpty();
  }

  /** A task under {@code tryRun} that holds its lock until {@link #finish} is counted down. */
  private final class Held {
    final String name;
    final Duration lease;
    final CountDownLatch inside = new CountDownLatch(1);
    final CountDownLatch finish = new CountDownLatch(1);
    final Future<LockOutcome<Boolean>> outcome;

    Held(LockManager manager, String name, Duration lease) throws InterruptedException {
      this.name = name;
      this.lease = lease;
      this.outcome =
          pool.submit(
              () ->
                  manager.tryRun(
                      name,
                      lease,
                      Duration.ZERO,
                      lock -> {
                        inside.countDown();
                        assertThat(finish.await(10, TimeUnit.SECONDS)).isTrue();
                        return lock.isHeld();
                      }));
      assertThat(inside.await(10, TimeUnit.SECONDS)).as("task of %s started", name).isTrue();
    }

    Instant leaseUntil() {
      return store.holder(name).orElseThrow().leaseUntil();
    }

    /** Waits for the keep-alive to extend the lease to a full lease from the clock's time. */
    void awaitExtendedFromNow() {
      Instant expected = clock.instant().plus(lease);
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(leaseUntil()).isEqualTo(expected));
    }

    /** Ends the task; answers whether it still held the lock at its end. */
    boolean end() throws Exception {
      finish.countDown();
      return outcome.get(10, TimeUnit.SECONDS).value();
    }
  }

  @Test
  void theKeepAliveExtendsTheLeaseWhileTheTaskRuns() throws Exception {
    Instant t0 = clock.instant();
    Held held = new Held(locks, "long", Duration.ofMillis(300));
    assertThat(held.leaseUntil()).isEqualTo(t0.plusMillis(300));

    // a beat every third of the lease; six of them take the clock twice past the first lease
    for (int i = 0; i < 6; i++) {
      clock.advance(Duration.ofMillis(100));
      held.awaitExtendedFromNow();
    }

    assertThat(clock.instant()).isAfter(t0.plusMillis(300));
    assertThat(store.holder("long").orElseThrow().owner()).isEqualTo("node-1");
    assertThat(held.end()).as("held to the end").isTrue();
    assertThat(store.holder("long")).isEmpty();
  }

  @Test
  void theKeepAliveExtendsEveryRunningTaskByItsOwnLeaseAndStopsWithIt() throws Exception {
    Instant t0 = clock.instant();
    Held shorter = new Held(locks, "long-450", Duration.ofMillis(450));
    Held longer = new Held(locks, "long-900", Duration.ofMillis(900));

    // long-450 beats every 150 ms, long-900 every 300 ms: at 300 ms both have beaten
    clock.advance(Duration.ofMillis(150));
    shorter.awaitExtendedFromNow();
    clock.advance(Duration.ofMillis(150));
    shorter.awaitExtendedFromNow();
    longer.awaitExtendedFromNow();
    assertThat(shorter.leaseUntil()).isEqualTo(t0.plusMillis(300 + 450));
    assertThat(longer.leaseUntil()).isEqualTo(t0.plusMillis(300 + 900));
    // and on past both first leases, each by its own
    for (int i = 0; i < 4; i++) {
      clock.advance(Duration.ofMillis(150));
      shorter.awaitExtendedFromNow();
    }
    clock.advance(Duration.ofMillis(300)); // 1200 ms: past long-900's first lease
    longer.awaitExtendedFromNow();
    shorter.awaitExtendedFromNow(); // 1200 is a beat of long-450 too (every 150)

    assertThat(shorter.end()).isTrue();
    assertThat(longer.end()).isTrue();
    assertThat(store.holder("long-450")).isEmpty();
    assertThat(store.holder("long-900")).isEmpty();

    // a task after them starts its own keep-alive again
    Held later = new Held(locks, "later", Duration.ofMillis(450));
    for (int i = 0; i < 4; i++) {
      clock.advance(Duration.ofMillis(150));
      later.awaitExtendedFromNow();
    }
    assertThat(later.end()).isTrue();
  }

  @Test
  void acquireWaitsBoundedForAHeldLock() throws Exception {
    Optional<LockHandle> first = locks.acquire("a", Duration.ofMinutes(1), Duration.ZERO);
    assertThat(first).isPresent();
    assertThat(locks.acquire("a", Duration.ofMinutes(1), Duration.ZERO)).isEmpty();

    // the wait is on the ticker: it runs out only when the clock has moved past it
    Future<Optional<LockHandle>> waiting =
        pool.submit(() -> locks.acquire("a", Duration.ofMinutes(1), Duration.ofMillis(150)));
    Instant start = clock.instant();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              clock.advance(Duration.ofMillis(50));
              return waiting.isDone();
            });
    assertThat(waiting.get()).isEmpty();
    assertThat(clock.instant()).isAfterOrEqualTo(start.plusMillis(150));
    assertThat(store.holder("a").orElseThrow().token()).isEqualTo(first.get().token());

    try (LockHandle handle = first.get()) {
      assertThat(handle.extend(Duration.ofMinutes(2))).isTrue();
    }
    Optional<LockHandle> second = locks.acquire("a", Duration.ofMinutes(1), Duration.ZERO);
    assertThat(second).isPresent();
    assertThat(second.get().token()).isGreaterThan(first.get().token());
    assertThat(first.get().release()).as("released already").isFalse();
  }

  @Test
  void acquireThatWaitsGetsTheLockOnceItsHolderReleasesIt() throws Exception {
    LockHandle first = locks.acquire("b", Duration.ofMinutes(1), Duration.ZERO).orElseThrow();
    // a wait that cannot run out while the clock stands still
    Future<Optional<LockHandle>> waiting =
        pool.submit(() -> locks.acquire("b", Duration.ofMinutes(1), Duration.ofMillis(150)));

    assertThat(first.release()).isTrue();

    LockHandle second = waiting.get(10, TimeUnit.SECONDS).orElseThrow();
    assertThat(second.token()).isEqualTo(first.token() + 1);
    assertThat(second.release()).isTrue();
  }

  /** Waits for the keep-alive to extend {@code name}'s lease to {@code lease} from the clock. */
  private void awaitExtendedFromNow(String name, Duration lease) {
    Instant expected = clock.instant().plus(lease);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> assertThat(store.holder(name).orElseThrow().leaseUntil()).isEqualTo(expected));
  }

  @Test
  void anAcquiredHandleIsKeptAliveUntilItIsClosed() {
    Instant t0 = clock.instant();
    LockManager other = LockManager.builder(store).owner("node-2").ticker(clock).build();
    try (LockHandle handle =
        locks.acquire("section", Duration.ofMillis(300), Duration.ZERO).orElseThrow()) {
      // a beat every third of the lease; six of them take the clock twice past the first lease
      for (int i = 0; i < 6; i++) {
        clock.advance(Duration.ofMillis(100));
        awaitExtendedFromNow("section", Duration.ofMillis(300));
      }
      assertThat(clock.instant()).isAfter(t0.plusMillis(300));
      assertThat(handle.isHeld()).isTrue();
      assertThat(other.tryRun("section", Duration.ofMinutes(1), Duration.ZERO, l -> 1).wasSkipped())
          .as("still held by node-1 past its first lease")
          .isTrue();
      assertThat(store.holder("section").orElseThrow().token()).isEqualTo(handle.token());

      // an extension by hand is what the keep-alive keeps from then on
      assertThat(handle.extend(Duration.ofMillis(600))).isTrue();
      clock.advance(Duration.ofMillis(200));
      awaitExtendedFromNow("section", Duration.ofMillis(600));
    } finally {
      other.close();
    }
    assertThat(store.holder("section")).as("released by close").isEmpty();
  }

  @Test
  void aHandleAcquiredWithoutKeepAliveLapsesAfterItsLease() {
    LockHandle handle =
        locks
            .acquire("lapse", Duration.ofMillis(300), Duration.ZERO, LockManager.KeepAlive.NONE)
            .orElseThrow();
    clock.advance(Duration.ofMillis(300));
    LockManager other = LockManager.builder(store).owner("node-2").ticker(clock).build();
    try {
      Optional<LockHandle> taken = other.acquire("lapse", Duration.ofMinutes(1), Duration.ZERO);
      assertThat(taken).as("free once its lease passed").isPresent();
      assertThat(taken.get().token()).isGreaterThan(handle.token());
      assertThat(handle.extend(Duration.ofMinutes(1))).as("lost").isFalse();
      assertThat(handle.isHeld()).isFalse();
      assertThat(handle.release()).isFalse();
      assertThat(store.holder("lapse").orElseThrow().owner()).isEqualTo("node-2");
      taken.get().close();
    } finally {
      other.close();
    }
  }

  @Test
  void aKeptAliveHandleThatLostItsLockSaysSo() {
    LockHandle handle = locks.acquire("lost", Duration.ofMillis(300), Duration.ZERO).orElseThrow();
    // another holder takes it over behind the manager's back (as after a long pause of this one)
    store.release("lost", handle.token(), Duration.ZERO);
    LockHandle thief =
        LockManager.builder(store)
            .owner("node-2")
            .ticker(clock)
            .build()
            .acquire("lost", Duration.ofMinutes(1), Duration.ZERO, LockManager.KeepAlive.NONE)
            .orElseThrow();
    clock.advance(Duration.ofMillis(100)); // the next beat is refused
    await().atMost(Duration.ofSeconds(10)).until(() -> !handle.isHeld());
    assertThat(store.holder("lost").orElseThrow().token()).isEqualTo(thief.token());
    assertThat(handle.release()).isFalse();
    assertThat(thief.release()).isTrue();
  }

  @Test
  void tryAcquireForAnotherOwnerAnswersTheAttemptWithTheHolderAndKeepsNothingAlive()
      throws Exception {
    LockAttempt first =
        locks.tryAcquire("remote", "client-1", Duration.ofMillis(300), Duration.ZERO);
    assertThat(first.acquired()).isTrue();
    assertThat(first.lease().owner()).isEqualTo("client-1");

    LockAttempt refused =
        locks.tryAcquire("remote", "client-2", Duration.ofMinutes(1), Duration.ZERO);
    assertThat(refused.acquired()).isFalse();
    assertThat(refused.lease()).as("the holder").isEqualTo(first.lease());

    // nobody extends a remote holder's lease: once it passes, the next owner gets the lock
    clock.advance(Duration.ofMillis(300));
    LockAttempt next = locks.tryAcquire("remote", "client-2", Duration.ofMinutes(1), Duration.ZERO);
    assertThat(next.acquired()).isTrue();
    assertThat(next.lease().token()).isGreaterThan(first.lease().token());
    assertThatThrownBy(
            () -> locks.tryAcquire("remote", "bad\nowner", Duration.ofMinutes(1), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("owner");
  }

  @Test
  void badArgumentsAreRefusedNamingTheValue() {
    assertThatThrownBy(() -> locks.tryRun("x", Duration.ZERO, Duration.ZERO, l -> 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lockAtMostFor")
        .hasMessageContaining("PT0S");
    assertThatThrownBy(
            () -> locks.tryRun("x", Duration.ofSeconds(1), Duration.ofSeconds(2), l -> 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lockAtLeastFor")
        .hasMessageContaining("PT2S");
    assertThatThrownBy(() -> locks.tryRun(" ", Duration.ofSeconds(1), Duration.ZERO, l -> 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lock name");
  }
}
