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

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void redisStoppedMidRunWithEightCallersCausesNoDuplicateExecutionAndNoFailedCall()
      throws Exception {
    RedisServer redis = TestServers.redis();
    TestServers.requireManaged(redis);
    List<IdemEvent> events = new CopyOnWriteArrayList<>();
    CountingStore truth = new CountingStore(backends.postgres(Clock.systemUTC()));
    int keys = 300;
    int threads = 8;
    String run = UUID.randomUUID().toString();
    ConcurrentHashMap<Integer, AtomicInteger> executions = new ConcurrentHashMap<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    IdemPolicy wait =
        IdemPolicy.builder()
            .onInProgress(InProgressPolicy.waitUpTo(Duration.ofSeconds(60)))
            .build();
    try (TieredIdempotencyStore store =
            backends
                .tiered(truth, Clock.systemUTC())
                .retryRedisAfter(Duration.ofMillis(200))
                .listener(events::add)
                .build();
        Idem idem = Idem.builder(store).noBackgroundPurge().build()) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CountDownLatch halfway = new CountDownLatch(threads);
      CountDownLatch redisStopped = new CountDownLatch(1);
      try {
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int seed = t;
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
                        halfway.countDown();
                        awaitQuietly(redisStopped);
                      }
                      int i = order.get(n);
                      try {
                        idem.once(
                            IdempotencyKey.readable("tiered-fault", run, i),
                            null,
                            wait,
                            () ->
                                executions
                                    .computeIfAbsent(i, x -> new AtomicInteger())
                                    .incrementAndGet());
                      } catch (RuntimeException e) {
                        failures.add(e);
                      }
                    }
                    return null;
                  }));
        }
        halfway.await(60, TimeUnit.SECONDS);
        redis.stop(true); // SIGKILL, mid-run
        redisStopped.countDown();
        for (Future<?> w : workers) {
          w.get(150, TimeUnit.SECONDS);
        }
      } finally {
        redisStopped.countDown();
        pool.shutdownNow();
        redis.start();
      }

      assertThat(failures).isEmpty();
      assertThat(executions).hasSize(keys);
      assertThat(executions.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
      assertThat(events.stream().filter(e -> e.type() == IdemEvent.Type.STORE_DEGRADED)).hasSize(1);

      // Redis is back: the store uses it again and duplicates come from the cache once more.
      IdempotencyKey probe = IdempotencyKey.readable("tiered-fault", run, "probe");
      idem.once(probe, null, () -> "probe");
      await()
          .atMost(Duration.ofSeconds(30))
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

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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
