package io.idem.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
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
 * half-written, the store recovers by itself, and a key's body runs once per claim however many
 * callers ask for it. The test Redis has no persistence, so what was written before the crash is
 * gone after it: records are checked before the stop, and a key completed before the crash runs
 * once more after it (once, whatever the number of callers).
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
    Duration commandTimeout = Duration.ofSeconds(1);
    // what a failing call may take beyond the command timeout on a loaded machine
    Duration margin = Duration.ofSeconds(2);
    RedisIdempotencyStore store =
        RedisIdempotencyStore.builder(server.uri())
            .prefix(prefix)
            .commandTimeout(commandTimeout)
            .build();
    // A short lease: a body whose completion meets the outage retries it for four fifths of a
    // lease (from its claim or last heartbeat), then gives up with StoreUnavailableException.
    Duration lease = Duration.ofSeconds(2);
    IdemPolicy policy =
        IdemPolicy.builder()
            .lease(lease)
            .onInProgress(InProgressPolicy.waitUpTo(Duration.ofSeconds(20)))
            .build();
    String hostPort = server.hostPort();

    Map<String, AtomicInteger> bodies = new ConcurrentHashMap<>();
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
    ExecutorService sharedCallers = Executors.newFixedThreadPool(CALLERS);
    AtomicBoolean stop = new AtomicBoolean();

    try (Idem idem = Idem.builder(store).noBackgroundPurge().closeStoreOnClose(true).build()) {
      // 1. Several callers per key while Redis runs: one body per key, its value for every caller.
      List<IdempotencyKey> before = keys(run, "before", 40);
      assertOneBodyPerKey(callEachByAll(idem, policy, before, bodies, sharedCallers), bodies, 1);

      // Callers of their own fresh keys, which run all through the outage.
      List<Future<?>> callers = new ArrayList<>();
      for (int c = 0; c < CALLERS; c++) {
        int caller = c;
        callers.add(
            pool.submit(
                () -> {
                  for (int n = 0; !stop.get(); n++) {
                    IdempotencyKey key =
                        IdempotencyKey.readable("outage:" + run + ":" + caller + ":" + n);
                    long start = System.nanoTime();
                    try {
                      Outcome<String> o = idem.once(key, null, policy, () -> body(bodies, key));
                      successes.add(new Success(caller, key.value(), o.value(), start));
                      successCount[caller].incrementAndGet();
                      checkCompleted(store, key.value(), o.value(), violations, unverified);
                    } catch (StoreUnavailableException e) {
                      failures.add(new Failure(caller, e.getMessage(), start, System.nanoTime()));
                      // a caller's backoff before its next call
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

      // 2. Running: every caller succeeds, and every record is whole.
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
      assertRecordsAreWhole(prefix, bodies);

      // 3. A key in flight at the crash: its body held inside its run, its other callers waiting.
      IdempotencyKey held = IdempotencyKey.readable("outage:" + run + ":held");
      CountDownLatch holding = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      AtomicInteger heldCallsEntered = new AtomicInteger();
      List<Future<Outcome<String>>> heldCalls = new ArrayList<>();
      for (int c = 0; c < CALLERS; c++) {
        heldCalls.add(
            sharedCallers.submit(
                () -> {
                  heldCallsEntered.incrementAndGet();
                  return idem.once(
                      held,
                      null,
                      policy,
                      () -> {
                        String v = body(bodies, held);
                        holding.countDown();
                        assertThat(release.await(60, TimeUnit.SECONDS)).isTrue();
                        return v;
                      });
                }));
      }
      assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> heldCallsEntered.get() == CALLERS);

      // 4. Redis dies (SIGKILL): every call fails soon with a StoreUnavailableException naming the
      // server, no call that starts while it is down succeeds, and no body runs.
      long stoppedAt = System.nanoTime();
      server.stop(true);
      long downAt = System.nanoTime();
      IdempotencyKey probe = IdempotencyKey.readable("outage:" + run + ":probe");
      long probed = System.nanoTime();
      assertThatThrownBy(() -> idem.once(probe, null, policy, () -> body(bodies, probe)))
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageContaining(hostPort)
          .hasMessageContaining("claim of key " + probe.value());
      assertThat(Duration.ofNanos(System.nanoTime() - probed))
          .isLessThan(commandTimeout.plus(margin));
      assertThat(bodies).doesNotContainKey(probe.value());

      // the held body ends with Redis down: its completion is retried for the rest of four fifths
      // of its lease, then the call fails; its waiting callers fail at their next claim
      release.countDown();
      List<Throwable> heldFailures = new ArrayList<>();
      for (Future<Outcome<String>> f : heldCalls) {
        try {
          Outcome<String> o =
              f.get(lease.plus(commandTimeout).plus(margin).toMillis(), TimeUnit.MILLISECONDS);
          throw new AssertionError("a call of the held key returned " + o + " with Redis down");
        } catch (ExecutionException e) {
          heldFailures.add(e.getCause());
        }
      }
      assertThat(heldFailures)
          .allSatisfy(
              e ->
                  assertThat(e)
                      .isInstanceOf(StoreUnavailableException.class)
                      .hasMessageContaining(hostPort));
      assertThat(heldFailures)
          .filteredOn(e -> e.getMessage().contains("complete of key " + held.value()))
          .as("the held body's completion")
          .hasSize(1);

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
                assertThat(f.message()).contains(hostPort);
                // a claim, a body and four fifths of a lease of completion retries at most
                assertThat(Duration.ofNanos(f.endNanos() - f.startNanos()))
                    .isLessThan(lease.plus(commandTimeout).plus(margin));
              });
      assertThat(failures.stream().filter(f -> f.endNanos() > stoppedAt).map(Failure::message))
          .anySatisfy(m -> assertThat(m).contains("claim of key outage:" + run));
      assertThat(successes).noneMatch(s -> s.startNanos() > downAt && s.startNanos() < restartAt);

      // 5. Redis is back: the store reconnects by itself and every caller succeeds again.
      server.start();
      long upAt = System.nanoTime();
      // Lettuce's reconnect delay grows with the outage, up to 30 s
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
      assertThat(successes).allSatisfy(s -> assertThat(s.value()).isEqualTo("v-" + s.key() + "#1"));
      assertThat(bodies.entrySet())
          .filteredOn(e -> e.getKey().startsWith("outage:" + run + ":"))
          .filteredOn(e -> !e.getKey().endsWith(":held"))
          .allSatisfy(e -> assertThat(e.getValue()).as("runs of %s", e.getKey()).hasValue(1));

      // 6. After the restart, several callers per key again. The restarted Redis forgot the keys
      // completed before (the test Redis keeps nothing): each runs once more, once; the held key
      // too; the probe's key, never claimed, runs once; new keys once, and are replayed after.
      Map<String, List<Outcome<String>>> again =
          callEachByAll(idem, policy, before, bodies, sharedCallers);
      assertOneBodyPerKey(again, bodies, 2);
      assertOneBodyPerKey(
          callEachByAll(idem, policy, List.of(held), bodies, sharedCallers), bodies, 2);
      assertOneBodyPerKey(
          callEachByAll(idem, policy, List.of(probe), bodies, sharedCallers), bodies, 1);
      List<IdempotencyKey> after = keys(run, "after", 40);
      assertOneBodyPerKey(callEachByAll(idem, policy, after, bodies, sharedCallers), bodies, 1);
      assertRuns(callEachByAll(idem, policy, after, bodies, sharedCallers), bodies, 1, 0);
      assertRecordsAreWhole(prefix, bodies);

      System.out.printf(
          "outage run: %d calls returned, %d failed as unavailable (longest %d ms), %d lost their"
              + " lease, %d returned just before the crash and were not re-read; back %d ms after"
              + " the restart began; %d bodies over %d keys%n",
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
                  - restartAt),
          bodies.values().stream().mapToInt(AtomicInteger::get).sum(),
          bodies.size());
    } finally {
      stop.set(true);
      pool.shutdownNow();
      sharedCallers.shutdownNow();
      server.start(); // a no-op when it runs; brings it back when the test failed midway
      RedisTesting.deleteKeysOf(prefix);
    }
  }

  /** {@code n} readable keys of this run. */
  private static List<IdempotencyKey> keys(String run, String group, int n) {
    List<IdempotencyKey> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add(IdempotencyKey.readable("outage:" + run + ":" + group + ":" + i));
    }
    return keys;
  }

  /** A body's run: counted, its value {@code v-<key>#<run number>}. */
  private static String body(Map<String, AtomicInteger> bodies, IdempotencyKey key) {
    int n = bodies.computeIfAbsent(key.value(), k -> new AtomicInteger()).incrementAndGet();
    return "v-" + key.value() + "#" + n;
  }

  /**
   * Every key called by each of {@link #CALLERS} callers, each in its own order, at once; the
   * outcomes by key. Fails on any exception.
   */
  private static Map<String, List<Outcome<String>>> callEachByAll(
      Idem idem,
      IdemPolicy policy,
      List<IdempotencyKey> keys,
      Map<String, AtomicInteger> bodies,
      ExecutorService callers)
      throws Exception {
    Map<String, List<Outcome<String>>> outcomes = new ConcurrentHashMap<>();
    List<Future<?>> all = new ArrayList<>();
    for (int c = 0; c < CALLERS; c++) {
      List<IdempotencyKey> order = new ArrayList<>(keys);
      Collections.shuffle(order, new Random(c));
      all.add(
          callers.submit(
              () -> {
                for (IdempotencyKey key : order) {
                  Outcome<String> o = idem.once(key, null, policy, () -> body(bodies, key));
                  outcomes.computeIfAbsent(key.value(), k -> new CopyOnWriteArrayList<>()).add(o);
                }
                return null;
              }));
    }
    for (Future<?> f : all) {
      f.get(60, TimeUnit.SECONDS);
    }
    return outcomes;
  }

  /**
   * Each key of {@code outcomes} has run its body {@code runs} times in all, once in these calls,
   * and every caller got the value of that run.
   */
  private static void assertOneBodyPerKey(
      Map<String, List<Outcome<String>>> outcomes, Map<String, AtomicInteger> bodies, int runs) {
    assertRuns(outcomes, bodies, runs, 1);
  }

  /**
   * Each key of {@code outcomes} has run its body {@code runs} times in all, {@code executed} times
   * in these calls (of {@link #CALLERS} callers each), and every caller got the last run's value.
   */
  private static void assertRuns(
      Map<String, List<Outcome<String>>> outcomes,
      Map<String, AtomicInteger> bodies,
      int runs,
      int executed) {
    assertThat(outcomes).isNotEmpty();
    assertThat(outcomes)
        .allSatisfy(
            (key, os) -> {
              assertThat(bodies.get(key)).as("runs of %s", key).hasValue(runs);
              assertThat(os).hasSize(CALLERS);
              assertThat(os.stream().filter(Outcome::wasExecuted))
                  .as("executed %s", key)
                  .hasSize(executed);
              assertThat(os)
                  .allSatisfy(o -> assertThat(o.value()).isEqualTo("v-" + key + "#" + runs));
            });
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
   * Every record of {@code prefix} is a whole one, with an index entry no later than its expiry; a
   * completed one holds the value of its key's last body.
   */
  private static void assertRecordsAreWhole(String prefix, Map<String, AtomicInteger> bodies) {
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
          assertThat(r.result().encoded())
              .as(recordKey)
              .isEqualTo("\"v-" + key + "#" + bodies.get(key).get() + "\"");
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
