package io.idem.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.IdemExecutionException;
import io.idem.SettableClock;
import io.idem.memory.InMemoryLockStore;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
  private final LockManager locks = LockManager.create(store, "node-1");

  @AfterEach
  void close() {
    locks.close();
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

  @Test
  void theKeepAliveExtendsTheLeaseWhileTheTaskRuns() {
    InMemoryLockStore real = InMemoryLockStore.create();
    try (LockManager manager = LockManager.create(real, "node-1")) {
      List<Instant> leases = new ArrayList<>();
      manager.tryRun(
          "long",
          Duration.ofMillis(300),
          Duration.ZERO,
          lock -> {
            for (int i = 0; i < 6; i++) {
              Thread.sleep(100);
              leases.add(real.holder("long").orElseThrow().leaseUntil());
              assertThat(lock.isHeld()).isTrue();
            }
            return null;
          });
      assertThat(leases.get(leases.size() - 1)).isAfter(leases.get(0));
      assertThat(real.holder("long")).isEmpty();
    }
  }

  @Test
  void theKeepAliveExtendsEveryRunningTaskByItsOwnLeaseAndStopsWithIt() throws Exception {
    InMemoryLockStore real = InMemoryLockStore.create();
    try (LockManager manager = LockManager.create(real, "node-1")) {
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(2);
      try {
        java.util.concurrent.CountDownLatch bothRunning =
            new java.util.concurrent.CountDownLatch(2);
        List<java.util.concurrent.Future<Instant[]>> runs = new ArrayList<>();
        for (int lease : new int[] {450, 900}) {
          String name = "long-" + lease;
          runs.add(
              pool.submit(
                  () ->
                      manager
                          .tryRun(
                              name,
                              Duration.ofMillis(lease),
                              Duration.ZERO,
                              lock -> {
                                bothRunning.countDown();
                                bothRunning.await();
                                Instant first = real.holder(name).orElseThrow().leaseUntil();
                                Thread.sleep(lease * 2L);
                                assertThat(lock.isHeld()).isTrue();
                                return new Instant[] {
                                  first, real.holder(name).orElseThrow().leaseUntil()
                                };
                              })
                          .value()));
        }
        for (java.util.concurrent.Future<Instant[]> run : runs) {
          Instant[] leases = run.get(10, java.util.concurrent.TimeUnit.SECONDS);
          assertThat(leases[1]).isAfter(leases[0]);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(real.holder("long-450")).isEmpty();
      assertThat(real.holder("long-900")).isEmpty();
      // a task after them starts its own keep-alive again
      theKeepAliveExtendsTheLeaseOf(manager, real, "later");
    }
  }

  private static void theKeepAliveExtendsTheLeaseOf(
      LockManager manager, InMemoryLockStore real, String name) {
    List<Instant> leases = new ArrayList<>();
    manager.tryRun(
        name,
        Duration.ofMillis(450),
        Duration.ZERO,
        lock -> {
          for (int i = 0; i < 4; i++) {
            Thread.sleep(150);
            leases.add(real.holder(name).orElseThrow().leaseUntil());
          }
          return null;
        });
    assertThat(leases.get(leases.size() - 1)).isAfter(leases.get(0));
  }

  @Test
  void acquireWaitsBoundedForAHeldLock() {
    Optional<LockHandle> first = locks.acquire("a", Duration.ofMinutes(1), Duration.ZERO);
    assertThat(first).isPresent();
    long start = System.nanoTime();
    assertThat(locks.acquire("a", Duration.ofMinutes(1), Duration.ofMillis(150))).isEmpty();
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(150));

    try (LockHandle handle = first.get()) {
      assertThat(handle.extend(Duration.ofMinutes(2))).isTrue();
    }
    Optional<LockHandle> second = locks.acquire("a", Duration.ofMinutes(1), Duration.ZERO);
    assertThat(second).isPresent();
    assertThat(second.get().token()).isGreaterThan(first.get().token());
    assertThat(first.get().release()).as("released already").isFalse();
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
