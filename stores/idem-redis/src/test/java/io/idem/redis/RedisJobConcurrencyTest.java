package io.idem.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.job.ConflictPolicy;
import io.idem.job.EnqueueResult;
import io.idem.job.Job;
import io.idem.job.JobState;
import io.idem.spi.JobClaim;
import io.idem.spi.JobStore;
import io.idem.spi.NewJob;
import io.idem.testkit.SettableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two {@link RedisJobStore} instances on one prefix (as two processes would be): uniqueness and
 * claims under concurrency, checked by an atomic look at Redis itself, and wake-ups across them.
 */
class RedisJobConcurrencyTest {

  private static final Duration LEASE = Duration.ofSeconds(30);

  /**
   * For each unique key in ARGV[2..]: the jobs of its id set whose state is in their unique states,
   * and the holder string; answers the keys where they disagree or where two jobs hold.
   */
  private static final String HOLDERS_CHECK =
      """
      local base = ARGV[1]
      local bad = {}
      for i = 2, #ARGV do
        local key = ARGV[i]
        local holders = {}
        for _, id in ipairs(redis.call('SMEMBERS', base .. ':k:' .. key)) do
          local f = redis.call('HMGET', base .. ':j:' .. id, 'state', 'unique_mask')
          if f[1] and math.floor(tonumber(f[2]) / 2 ^ tonumber(f[1])) % 2 == 1 then
            holders[#holders + 1] = id
          end
        end
        local named = redis.call('GET', base .. ':u:' .. key)
        if #holders > 1 or (#holders == 1 and named ~= holders[1])
            or (#holders == 0 and named) then
          bad[#bad + 1] = key .. ' held by [' .. table.concat(holders, ',') .. '], named '
            .. tostring(named)
        end
      end
      return bad
      """;

  private final List<String> prefixes = new ArrayList<>();
  private final List<RedisJobStore> stores = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    stores.forEach(RedisJobStore::close);
    prefixes.forEach(RedisTesting::deleteKeysOf);
  }

  /** Two stores on one new prefix and {@code clock}. */
  private List<RedisJobStore> twoStores(SettableClock clock) {
    String prefix = RedisTesting.uniquePrefix("jobcc");
    prefixes.add(prefix);
    List<RedisJobStore> two = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      RedisJobStore s =
          RedisJobStore.builder(RedisTesting.server().uri()).prefix(prefix).clock(clock).build();
      stores.add(s);
      two.add(s);
    }
    return two;
  }

  private static NewJob job(String type, String queue, String key, ConflictPolicy onConflict) {
    return new NewJob(
        "j-" + UUID.randomUUID(),
        type,
        queue,
        0,
        "{}",
        null,
        null,
        null,
        3,
        key,
        Set.of(),
        onConflict);
  }

  @Test
  @Timeout(120)
  void eightThreadsOnTwoStoresNeverMakeTwoHoldersOfAKey() throws Exception {
    SettableClock clock = SettableClock.create();
    List<RedisJobStore> two = twoStores(clock);
    String prefix = prefixes.get(0);
    List<String> keys = List.of("user:1", "user:2", "user:{3}", "ключ:4");
    String[] checkArgs = new String[keys.size() + 1];
    checkArgs[0] = RedisJobStore.keyBase(prefix);
    for (int i = 0; i < keys.size(); i++) {
      checkArgs[i + 1] = keys.get(i);
    }
    Queue<String> violations = new ConcurrentLinkedQueue<>();
    Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
    Set<String> enqueued = ConcurrentHashMap.newKeySet();
    AtomicInteger checks = new AtomicInteger();
    AtomicInteger transitions = new AtomicInteger();
    AtomicBoolean running = new AtomicBoolean(true);
    int threads = 8;
    CyclicBarrier start = new CyclicBarrier(threads + 1);
    ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        JobStore store = two.get(t % 2);
        String worker = "w" + t;
        workers.add(
            pool.submit(
                () -> {
                  ThreadLocalRandom rnd = ThreadLocalRandom.current();
                  start.await(10, TimeUnit.SECONDS);
                  for (int i = 0; i < 300; i++) {
                    String key = keys.get(rnd.nextInt(keys.size()));
                    ConflictPolicy p = ConflictPolicy.values()[rnd.nextInt(3)];
                    EnqueueResult r = store.enqueue(job("t", "q", key, p));
                    if (r.enqueued()) {
                      enqueued.add(r.job().id());
                    }
                    // move holders on: claim, then complete, fail, release or cancel
                    if (rnd.nextInt(3) == 0) {
                      for (Job j :
                          store.claim(new JobClaim(List.of("q"), Set.of(), worker, LEASE, 2))) {
                        switch (rnd.nextInt(4)) {
                          case 0 -> store.complete(j.id(), j.token(), null);
                          case 1 -> store.fail(j.id(), j.token(), "x", clock.instant());
                          case 2 -> store.release(j.id(), j.token());
                          default -> store.cancel(j.id());
                        }
                        transitions.incrementAndGet();
                      }
                    }
                    if (rnd.nextInt(20) == 0) {
                      store.cancel(r.job().id());
                    }
                  }
                  return null;
                }));
      }
      Future<?> checker =
          pool.submit(
              () -> {
                start.await(10, TimeUnit.SECONDS);
                while (running.get()) {
                  try {
                    List<String> bad =
                        RedisTesting.admin()
                            .eval(
                                HOLDERS_CHECK,
                                io.lettuce.core.ScriptOutputType.MULTI,
                                new String[] {checkArgs[0] + ":n"},
                                checkArgs);
                    violations.addAll(bad);
                    checks.incrementAndGet();
                  } catch (RuntimeException e) {
                    errors.add(e);
                    return null;
                  }
                }
                return null;
              });
      for (Future<?> f : workers) {
        f.get(90, TimeUnit.SECONDS);
      }
      running.set(false);
      checker.get(30, TimeUnit.SECONDS);
    } finally {
      running.set(false);
      pool.shutdownNow();
    }
    assertThat(errors).isEmpty();
    assertThat(violations).isEmpty();
    assertThat(checks.get()).as("checks").isGreaterThan(10);
    assertThat(transitions.get()).as("claimed jobs moved on").isGreaterThan(50);
    assertThat(enqueued).hasSizeGreaterThan(keys.size());
    assertThat(RedisJobInvariants.check(prefix, clock.instant())).isEmpty();
  }

  @Test
  @Timeout(120)
  void fourThreadsOnTwoStoresNeverClaimAJobTwice() throws Exception {
    SettableClock clock = SettableClock.create();
    List<RedisJobStore> two = twoStores(clock);
    int jobs = 600;
    List<NewJob> batch = new ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      NewJob n = job(i % 3 == 0 ? "a" : "b", i % 2 == 0 ? "q1" : "q2", null, ConflictPolicy.REJECT);
      batch.add(
          new NewJob(
              n.id(),
              n.type(),
              n.queue(),
              i % 5,
              n.args(),
              null,
              null,
              null,
              3,
              null,
              Set.of(),
              ConflictPolicy.REJECT));
    }
    two.get(0).enqueueAll(batch);
    Set<String> taken = ConcurrentHashMap.newKeySet();
    Set<Long> tokens = ConcurrentHashMap.newKeySet();
    AtomicInteger twice = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CyclicBarrier start = new CyclicBarrier(4);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        JobStore store = two.get(t % 2);
        String worker = "w" + t;
        Set<String> types = t == 3 ? Set.of("a") : Set.of();
        fs.add(
            pool.submit(
                () -> {
                  start.await(10, TimeUnit.SECONDS);
                  int empty = 0;
                  while (empty < 3) {
                    List<Job> got =
                        store.claim(
                            new JobClaim(List.of("q1", "q2"), types, worker, LEASE, 1 + empty));
                    if (got.isEmpty()) {
                      empty++;
                      continue;
                    }
                    for (Job j : got) {
                      if (!taken.add(j.id())) {
                        twice.incrementAndGet();
                      }
                      tokens.add(j.token());
                      assertThat(j.workerId()).isEqualTo(worker);
                      assertThat(store.complete(j.id(), j.token(), null)).isPresent();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get(90, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(twice.get()).isZero();
    assertThat(taken).hasSize(jobs);
    assertThat(tokens).containsExactly(1L);
    assertThat(two.get(1).stats().count(JobState.SUCCEEDED)).isEqualTo(jobs);
    assertThat(RedisJobInvariants.check(prefixes.get(0), clock.instant())).isEmpty();
  }

  @Test
  @Timeout(60)
  void aSubscriberIsWokenByEnqueuesRetriesReleasesAndPromotionsOfAnotherStore() throws Exception {
    SettableClock clock = SettableClock.create();
    List<RedisJobStore> two = twoStores(clock);
    RedisJobStore listening = two.get(0);
    RedisJobStore other = two.get(1);
    String channel = RedisJobStore.keyBase(prefixes.get(prefixes.size() - 1)) + ":wake";
    AtomicInteger wakes = new AtomicInteger();
    List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    Object lock = new Object();
    AutoCloseable sub =
        listening.subscribe(
            () -> {
              threads.add(Thread.currentThread());
              synchronized (lock) {
                wakes.incrementAndGet();
                lock.notifyAll();
              }
            });
    try {
      other.enqueue(job("t", "q", null, ConflictPolicy.REJECT));
      awaitWakes(lock, wakes, 1);

      // a scheduled job wakes nobody until maintenance promotes it
      NewJob later = job("t", "q", null, ConflictPolicy.REJECT);
      other.enqueue(
          new NewJob(
              later.id(),
              "t",
              "q",
              0,
              "{}",
              clock.instant().plusSeconds(5),
              null,
              null,
              1,
              null,
              Set.of(),
              ConflictPolicy.REJECT));
      // Nothing was published for it: a marker published after the enqueue returned is the first
      // message on the channel (Redis delivers one channel's messages in order).
      assertThat(messagesBeforeMarker(channel, () -> {})).isEmpty();
      awaitWakes(lock, wakes, 2); // the marker's own wake-up
      clock.advance(Duration.ofSeconds(5));
      assertThat(other.maintain().promoted()).isEqualTo(1);
      awaitWakes(lock, wakes, 3);

      List<Job> claimed = other.claim(new JobClaim(List.of("q"), Set.of(), "w", LEASE, 2));
      assertThat(claimed).hasSize(2);
      other.release(claimed.get(0).id(), claimed.get(0).token());
      awaitWakes(lock, wakes, 4);
      other.fail(claimed.get(1).id(), claimed.get(1).token(), "no", null);
      other.retry(claimed.get(1).id());
      awaitWakes(lock, wakes, 5);

      // A closed subscription hears nothing more: a subscription still open on the same store is
      // the marker that the next wake-up came through (both are called in one pass).
      AtomicInteger stillOpen = new AtomicInteger();
      Object openLock = new Object();
      try (AutoCloseable open =
          listening.subscribe(
              () -> {
                synchronized (openLock) {
                  stillOpen.incrementAndGet();
                  openLock.notifyAll();
                }
              })) {
        sub.close();
        int before = wakes.get();
        other.enqueue(job("t", "q", null, ConflictPolicy.REJECT));
        awaitWakes(openLock, stillOpen, 1);
        assertThat(wakes.get()).isEqualTo(before);
      }
    } finally {
      sub.close();
    }
    assertThat(threads).allSatisfy(t -> assertThat(t.getName()).startsWith("idem-redis-jobs-wake"));
  }

  @Test
  void aStoreWakesItsOwnSubscribersOnceOnTheCallingThread() throws Exception {
    SettableClock clock = SettableClock.create();
    RedisJobStore store = twoStores(clock).get(0);
    String channel = RedisJobStore.keyBase(prefixes.get(prefixes.size() - 1)) + ":wake";
    // Each call records the thread and the phase it came in: the phase is moved on before each
    // marker is published, so a call of the store's wake thread names the last marker before it.
    AtomicInteger phase = new AtomicInteger();
    List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Integer> phases = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (AutoCloseable sub =
        store.subscribe(
            () -> {
              threads.add(Thread.currentThread());
              phases.add(phase.get());
            })) {
      // its own enqueue: one message on the channel, listeners called at once on this thread
      assertThat(
              messagesBeforeMarker(
                  channel,
                  () -> store.enqueue(job("t", "q", null, ConflictPolicy.REJECT)),
                  () -> phase.set(1)))
          .hasSize(1);
      assertThat(threads).first().isEqualTo(Thread.currentThread());
      // Marker 1 is a foreign message: it wakes the listener on the store's thread. The store's
      // connection receives the channel's messages in order, so by then it has handled its own
      // message; had it not ignored it, that would be a second call on its thread before marker 2
      // (one wake-up per pass: once marker 1's call has started, marker 2 queues a new one).
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> has(phases, 1));
      assertThat(messagesBeforeMarker(channel, () -> {}, () -> phase.set(2))).isEmpty();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> has(phases, 2));
    }
    assertThat(phases).as("phases of the calls").containsExactly(0, 1, 2);
    assertThat(threads.subList(1, 3))
        .allSatisfy(t -> assertThat(t.getName()).startsWith("idem-redis-jobs-wake"));
  }

  private static boolean has(List<Integer> phases, int phase) {
    return phases.contains(phase);
  }

  /**
   * The messages published on {@code channel} by {@code action}: a subscriber of the test's own is
   * opened, the action runs, then a unique marker is published; everything the subscriber receives
   * before the marker came from the action (Redis delivers one channel's messages in order).
   */
  private static List<String> messagesBeforeMarker(String channel, Runnable action)
      throws InterruptedException {
    return messagesBeforeMarker(channel, action, () -> {});
  }

  /** As above, with {@code beforeMarker} run just before the marker is published. */
  private static List<String> messagesBeforeMarker(
      String channel, Runnable action, Runnable beforeMarker) throws InterruptedException {
    java.util.concurrent.BlockingQueue<String> got =
        new java.util.concurrent.LinkedBlockingQueue<>();
    CountDownLatch subscribed = new CountDownLatch(1);
    try (io.lettuce.core.pubsub.StatefulRedisPubSubConnection<String, String> observer =
        RedisTesting.client().connectPubSub(RedisTesting.uri())) {
      observer.addListener(
          new io.lettuce.core.pubsub.RedisPubSubAdapter<>() {
            @Override
            public void message(String ch, String message) {
              got.add(message);
            }

            @Override
            public void subscribed(String ch, long count) {
              subscribed.countDown();
            }
          });
      observer.sync().subscribe(channel);
      assertThat(subscribed.await(10, TimeUnit.SECONDS)).isTrue();
      action.run();
      beforeMarker.run();
      String marker = "marker-" + UUID.randomUUID();
      RedisTesting.admin().publish(channel, marker);
      List<String> before = new ArrayList<>();
      while (true) {
        String m = got.poll(10, TimeUnit.SECONDS);
        assertThat(m).as("the marker %s came back within 10 s", marker).isNotNull();
        if (m.equals(marker)) {
          return before;
        }
        before.add(m);
      }
    }
  }

  private static void awaitWakes(Object lock, AtomicInteger wakes, int n)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    synchronized (lock) {
      while (wakes.get() < n) {
        long left = deadline - System.nanoTime();
        assertThat(left).as("woken %d times within 10 s (was %d)", n, wakes.get()).isPositive();
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
    }
  }
}
