package io.idem.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.idem.Idem;
import io.idem.IdemPolicy;
import io.idem.IdempotencyKey;
import io.idem.InProgressPolicy;
import io.idem.LeaseLostException;
import io.idem.Outcome;
import io.idem.StoreUnavailableException;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.RecordState;
import io.idem.testkit.servers.RedisServer;
import io.idem.testkit.servers.TestServers;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The store while its Redis dies and comes back: calls fail fast and clearly, nothing is
 * half-written, and the store recovers by itself. The test Redis has no persistence, so what was
 * written before the crash is gone after it: records are checked before the stop.
 */
class RedisOutageTest {

  private static final int CALLERS = 8;

  /** One call that returned a value. */
  private record Success(int caller, String key, String value, long startNanos) {}

  /** One call that failed because the store was unavailable. */
  private record Failure(int caller, String message, long startNanos, long endNanos) {}

  @Test
  @DisplayName("Redis stopped in the middle of a run with 8 concurrent callers")
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void redisStoppedInTheMiddleOfARunWithEightConcurrentCallers() throws Exception {
    RedisServer server = RedisTesting.server();
    TestServers.requireManaged(server);
    String prefix = RedisTesting.uniquePrefix("outage");
    String run = UUID.randomUUID().toString().substring(0, 8);
    RedisIdempotencyStore store =
        RedisIdempotencyStore.builder(server.uri())
            .prefix(prefix)
            .commandTimeout(Duration.ofSeconds(1))
            .build();
    // A short lease: a body whose completion meets the outage retries it for half a lease.
    IdemPolicy policy =
        IdemPolicy.builder()
            .lease(Duration.ofSeconds(2))
            .onInProgress(InProgressPolicy.reject())
            .build();

    Queue<Success> successes = new ConcurrentLinkedQueue<>();
    Queue<Failure> failures = new ConcurrentLinkedQueue<>();
    Queue<String> violations = new ConcurrentLinkedQueue<>();
    Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
    AtomicInteger unverified = new AtomicInteger();
    AtomicInteger leaseLost = new AtomicInteger();
    AtomicInteger[] successCount = new AtomicInteger[CALLERS];
    for (int i = 0; i < CALLERS; i++) {
      successCount[i] = new AtomicInteger();
    }
    ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
    AtomicBoolean stop = new AtomicBoolean();

    try (Idem idem = Idem.builder(store).noBackgroundPurge().closeStoreOnClose(true).build()) {
      List<Future<?>> callers = new ArrayList<>();
      for (int c = 0; c < CALLERS; c++) {
        int caller = c;
        callers.add(
            pool.submit(
                () -> {
                  for (int n = 0; !stop.get(); n++) {
                    String key = "outage:" + run + ":" + caller + ":" + n;
                    String value = "v-" + key;
                    long start = System.nanoTime();
                    try {
                      Outcome<String> o =
                          idem.once(IdempotencyKey.readable(key), null, policy, () -> value);
                      successes.add(new Success(caller, key, o.value(), start));
                      successCount[caller].incrementAndGet();
                      checkCompleted(store, key, value, violations, unverified);
                    } catch (StoreUnavailableException e) {
                      failures.add(new Failure(caller, e.getMessage(), start, System.nanoTime()));
                      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                    } catch (LeaseLostException e) {
                      leaseLost.incrementAndGet(); // the body ran; Redis forgot its claim
                    } catch (Throwable e) {
                      unexpected.add(e);
                      return;
                    }
                  }
                }));
      }

      // 1. Running: every caller succeeds, and every record is whole.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (AtomicInteger n : successCount) {
                  if (n.get() < 20) {
                    return false;
                  }
                }
                return true;
              });
      assertThat(failures).isEmpty();
      assertRecordsAreWhole(prefix);

      // 2. Redis dies (SIGKILL): every caller gets a StoreUnavailableException naming the server,
      // soon, and no call that starts while it is down succeeds.
      long stoppedAt = System.nanoTime();
      server.stop(true);
      long downAt = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  failures.stream()
                          .filter(f -> f.startNanos() > downAt)
                          .map(Failure::caller)
                          .distinct()
                          .count()
                      == CALLERS);
      long restartAt = System.nanoTime();
      assertThat(failures)
          .allSatisfy(
              f -> {
                assertThat(f.message()).contains(server.hostPort());
                assertThat(Duration.ofNanos(f.endNanos() - f.startNanos()))
                    .isLessThan(Duration.ofSeconds(5));
              });
      assertThat(failures.stream().filter(f -> f.endNanos() > stoppedAt).map(Failure::message))
          .anySatisfy(m -> assertThat(m).contains("claim of key outage:" + run));
      assertThat(successes).noneMatch(s -> s.startNanos() > downAt && s.startNanos() < restartAt);

      // 3. Redis is back: the store reconnects by itself and every caller succeeds again.
      server.start();
      long upAt = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(45))
          .pollInterval(Duration.ofMillis(20))
          .until(
              () ->
                  successes.stream()
                          .filter(s -> s.startNanos() > upAt)
                          .map(Success::caller)
                          .distinct()
                          .count()
                      == CALLERS);

      stop.set(true);
      for (Future<?> f : callers) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertThat(unexpected).isEmpty();
      assertThat(violations).isEmpty();
      assertThat(unverified.get()).isLessThanOrEqualTo(CALLERS);
      assertThat(successes).allSatisfy(s -> assertThat(s.value()).isEqualTo("v-" + s.key()));
      assertRecordsAreWhole(prefix);
      System.out.printf(
          "outage run: %d calls returned, %d failed as unavailable (longest %d ms), %d lost their"
              + " lease, %d returned just before the crash and were not re-read; back %d ms after"
              + " the restart began%n",
          successes.size(),
          failures.size(),
          failures.stream()
              .mapToLong(f -> TimeUnit.NANOSECONDS.toMillis(f.endNanos() - f.startNanos()))
              .max()
              .orElse(0),
          leaseLost.get(),
          unverified.get(),
          TimeUnit.NANOSECONDS.toMillis(
              successes.stream()
                      .filter(x -> x.startNanos() > upAt)
                      .mapToLong(Success::startNanos)
                      .min()
                      .orElse(upAt)
                  - restartAt));
    } finally {
      stop.set(true);
      pool.shutdownNow();
      server.start(); // a no-op when it runs; brings it back when the test failed midway
      RedisTesting.deleteKeysOf(prefix);
    }
  }

  /** A call returned: its record must be COMPLETED with its value, at once. */
  private static void checkCompleted(
      RedisIdempotencyStore store,
      String key,
      String value,
      Queue<String> violations,
      AtomicInteger unverified) {
    Optional<IdempotencyRecord> r;
    try {
      r = store.get(key);
    } catch (StoreUnavailableException e) {
      unverified.incrementAndGet(); // Redis died between the call and the check
      return;
    }
    if (r.isEmpty()
        || r.get().state() != RecordState.COMPLETED
        || r.get().result() == null
        || !r.get().result().encoded().equals("\"" + value + "\"")) {
      violations.add(key + " returned " + value + " but its record is " + r);
    }
  }

  /**
   * Every record of {@code prefix} is a whole one, with an index entry no later than its expiry.
   */
  private static void assertRecordsAreWhole(String prefix) {
    RedisKeys keys = new RedisKeys(prefix, RedisIdempotencyStore.DEFAULT_SHARDS);
    try (StatefulRedisConnection<String, String> c =
        RedisTesting.client().connect(RedisTesting.uri())) {
      RedisCommands<String, String> redis = c.sync();
      List<String> recordKeys =
          RedisTesting.keysOf(prefix).stream().filter(k -> k.contains("}:r:")).toList();
      assertThat(recordKeys).isNotEmpty();
      for (String recordKey : recordKeys) {
        String key = recordKey.substring(recordKey.indexOf("}:r:") + 4);
        Map<String, String> fields = redis.hgetall(recordKey);
        assertThat(fields).as(recordKey).isNotEmpty(); // nothing deletes records in this run
        IdempotencyRecord r = RecordFields.toRecord(key, fields, recordKey);
        assertThat(r.token()).as(recordKey).isPositive();
        assertThat(r.attempt()).as(recordKey).isEqualTo(1);
        if (r.state() == RecordState.IN_PROGRESS) {
          assertThat(r.leaseUntil()).as(recordKey).isNotNull();
          assertThat(r.result()).as(recordKey).isNull();
        } else {
          assertThat(r.state()).as(recordKey).isEqualTo(RecordState.COMPLETED);
          assertThat(r.leaseUntil()).as(recordKey).isNull();
          assertThat(r.result()).as(recordKey).isNotNull();
          assertThat(r.result().encoded()).as(recordKey).isEqualTo("\"v-" + key + "\"");
        }
        Double score = redis.zscore(keys.expiry(keys.shardOf(key)), key);
        assertThat(score).as(recordKey).isNotNull();
        // never after the time the record may be purged (purge gives an early member its right
        // score): the claim's expiry, which a completion moves only to an earlier one (and an
        // IN_PROGRESS record read here may have been completed since)
        long purgeableAt = r.expiresAt().toEpochMilli();
        if (r.state() == RecordState.IN_PROGRESS) {
          purgeableAt = Math.max(purgeableAt, r.leaseUntil().toEpochMilli());
        }
        assertThat(score.longValue())
            .as(recordKey)
            .isBetween(r.createdAt().toEpochMilli(), purgeableAt);
      }
    }
  }
}
