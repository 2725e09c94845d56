package io.idem.tiered;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.idem.Idem;
import io.idem.IdemEvent;
import io.idem.IdemPolicy;
import io.idem.IdempotencyKey;
import io.idem.InProgressPolicy;
import io.idem.Outcome;
import io.idem.PayloadMismatchException;
import io.idem.testkit.servers.RedisServer;
import io.idem.testkit.servers.TestServers;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class TieredBehaviourTest {

  private final Backends backends = new Backends();

  @AfterEach
  void closeBackends() {
    backends.close();
  }

  @Test
  void duplicatesAreAnsweredFromRedisWithoutTouchingPostgres() {
    CountingStore truth = new CountingStore(backends.postgres(Clock.systemUTC()));
    try (TieredIdempotencyStore store = backends.tiered(truth, Clock.systemUTC()).build();
        Idem idem = Idem.builder(store).noBackgroundPurge().build()) {
      IdempotencyKey key = IdempotencyKey.of("email", Map.of("user", 1));
      AtomicInteger runs = new AtomicInteger();
      assertThat(idem.once(key, null, runs::incrementAndGet).wasExecuted()).isTrue();
      int claimsAfterFirst = truth.claims.get();

      for (int i = 0; i < 50; i++) {
        Outcome<Integer> o = idem.once(key, null, runs::incrementAndGet);
        assertThat(o.wasReplayed()).isTrue();
        assertThat(o.value()).isEqualTo(1);
      }
      assertThat(store.get(key.value())).isPresent();

      assertThat(runs).hasValue(1);
      assertThat(truth.claims.get()).isEqualTo(claimsAfterFirst);
      assertThat(truth.gets).hasValue(0);
    }
  }

  @Test
  void aCachedRecordDoesNotHideAPayloadMismatch() {
    CountingStore truth = new CountingStore(backends.postgres(Clock.systemUTC()));
    try (TieredIdempotencyStore store = backends.tiered(truth, Clock.systemUTC()).build();
        Idem idem = Idem.builder(store).noBackgroundPurge().build()) {
      IdempotencyKey key = IdempotencyKey.readable("refund:" + UUID.randomUUID());
      idem.once(key, Map.of("amount", 1), () -> "ok");

      assertThatThrownBy(() -> idem.once(key, Map.of("amount", 2), () -> "other"))
          .isInstanceOf(PayloadMismatchException.class);
    }
  }

  @Test
  void aDeletedKeyIsEvictedFromTheCache() {
    try (TieredIdempotencyStore store =
            backends.tiered(backends.postgres(Clock.systemUTC()), Clock.systemUTC()).build();
        Idem idem = Idem.builder(store).noBackgroundPurge().build()) {
      IdempotencyKey key = IdempotencyKey.readable("deleted:" + UUID.randomUUID());
      idem.once(key, null, () -> "first");
      assertThat(idem.forget(key)).isTrue();

      assertThat(idem.once(key, null, () -> "second").value()).isEqualTo("second");
    }
  }

  /**
   * Redis killed (SIGKILL) while calls are in flight: at the kill, every caller is inside a call,
   * by construction: four hold their key's body inside its run and four wait for those keys
   * (IN_PROGRESS); the holders are released once Redis is dead, so they complete with Redis gone;
   * then every caller goes on through 300 keys with Redis down. Claims never depend on Redis, so no
   * body runs twice (counted outside the store) and no call fails.
   */
  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void redisKilledWhileCallsAreInFlightCausesNoDuplicateExecutionAndNoFailedCall()
      throws Exception {
    RedisServer redis = TestServers.redis();
    TestServers.requireManaged(redis);
    List<IdemEvent> events = new CopyOnWriteArrayList<>();
    CountingStore truth = new CountingStore(backends.postgres(Clock.systemUTC()));
    int keys = 300;
    int threads = 8;
    int heldKeys = threads / 2;
    String run = UUID.randomUUID().toString();
    ConcurrentHashMap<String, AtomicInteger> executions = new ConcurrentHashMap<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    IdemPolicy wait =
        IdemPolicy.builder()
            .onInProgress(InProgressPolicy.waitUpTo(Duration.ofSeconds(60)))
            .build();
    try (TieredIdempotencyStore store =
            backends
                .tiered(truth, Clock.systemUTC())
                .retryRedisAfter(Duration.ofMillis(200))
                // the outage is the kill, whose commands fail at once (rejected while
                // disconnected): a slow answer on a loaded machine must not count as one
                .commandTimeout(Duration.ofSeconds(5))
                .listener(events::add)
                .build();
        Idem idem = Idem.builder(store).noBackgroundPurge().build()) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      AtomicInteger callsEntered = new AtomicInteger(); // calls of the held keys
      CountDownLatch holding = new CountDownLatch(heldKeys);
      CountDownLatch redisKilled = new CountDownLatch(1);
      List<Outcome<String>> inFlight = new CopyOnWriteArrayList<>();
      try {
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int seed = t;
          // two callers per held key: the first to claim holds the body, the other waits
          IdempotencyKey heldKey = IdempotencyKey.readable("tiered-fault", run, "held-" + t / 2);
          workers.add(
              pool.submit(
                  () -> {
                    List<Integer> order = new ArrayList<>();
                    for (int round = 0; round < 3; round++) {
                      for (int i = 0; i < keys; i++) {
                        order.add(i);
                      }
                    }
                    Collections.shuffle(order, new Random(seed));
                    for (int n = 0; n < order.size(); n++) {
                      if (n == order.size() / 3) {
                        callsEntered.incrementAndGet();
                        inFlight.add(
                            idem.once(
                                heldKey,
                                null,
                                wait,
                                () -> {
                                  String v = "v" + count(executions, heldKey.value());
                                  holding.countDown();
                                  assertThat(redisKilled.await(60, TimeUnit.SECONDS)).isTrue();
                                  return v;
                                }));
                      }
                      IdempotencyKey key =
                          IdempotencyKey.readable("tiered-fault", run, order.get(n));
                      try {
                        idem.once(key, null, wait, () -> count(executions, key.value()));
                      } catch (RuntimeException e) {
                        failures.add(e);
                      }
                    }
                    return null;
                  }));
        }
        // every caller is inside a held key's call: a holder in its body, or a waiter for it
        // (which cannot return before its holder is released)
        assertThat(holding.await(60, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(60)).until(() -> callsEntered.get() == threads);
        assertThat(inFlight).isEmpty();
        redis.stop(true); // SIGKILL, with every caller in a call
        redisKilled.countDown();
        for (Future<?> w : workers) {
          w.get(150, TimeUnit.SECONDS);
        }
      } finally {
        redisKilled.countDown();
        pool.shutdownNow();
        redis.start();
      }

      System.out.printf(
          "tiered kill run: %d calls in flight at the kill (%d in their body), %d bodies over %d"
              + " keys, %d calls failed, %d STORE_DEGRADED%n",
          inFlight.size(),
          heldKeys,
          executions.values().stream().mapToInt(AtomicInteger::get).sum(),
          executions.size(),
          failures.size(),
          events.stream().filter(e -> e.type() == IdemEvent.Type.STORE_DEGRADED).count());
      // the calls in flight at the kill completed: one body per held key, its value for both
      assertThat(inFlight).hasSize(threads);
      assertThat(inFlight.stream().filter(Outcome::wasExecuted)).hasSize(heldKeys);
      assertThat(inFlight).allSatisfy(o -> assertThat(o.value()).isEqualTo("v1"));
      assertThat(failures).isEmpty();
      assertThat(executions).hasSize(keys + heldKeys);
      assertThat(executions.entrySet())
          .allSatisfy(
              e -> assertThat(e.getValue().get()).as("runs of %s", e.getKey()).isEqualTo(1));
      assertThat(events.stream().filter(e -> e.type() == IdemEvent.Type.STORE_DEGRADED)).hasSize(1);

      // Redis is back: the store uses it again and duplicates come from the cache once more.
      IdempotencyKey probe = IdempotencyKey.readable("tiered-fault", run, "probe");
      idem.once(probe, null, () -> "probe");
      // Lettuce's reconnect delay grows with the outage, up to 30 s
      await()
          .atMost(Duration.ofSeconds(45))
          .until(
              () -> {
                idem.once(probe, null, () -> "probe");
                return store.isRedisUp();
              });
      assertThat(events.stream().filter(e -> e.type() == IdemEvent.Type.STORE_RECOVERED))
          .hasSize(1);
      int claims = truth.claims.get();
      idem.once(probe, null, () -> "probe"); // cached again by the loop above
      assertThat(truth.claims.get()).isEqualTo(claims);
    }
  }

  /** Counts a run of {@code key}'s body; returns the count. */
  private static int count(Map<String, AtomicInteger> executions, String key) {
    return executions.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
  }

  @Test
  void badBuilderValuesAreRefusedNamingThem() {
    try (TieredIdempotencyStore ignored =
        backends.tiered(backends.postgres(Clock.systemUTC()), Clock.systemUTC()).build()) {
      assertThatThrownBy(
              () ->
                  TieredIdempotencyStore.builder(ignored, TestServers.redis().uri())
                      .cacheTtl(Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("cacheTtl")
          .hasMessageContaining("PT0S");
      assertThatThrownBy(
              () ->
                  TieredIdempotencyStore.builder(ignored, TestServers.redis().uri()).prefix("a b"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("a b");
    }
  }
}
