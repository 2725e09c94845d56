package io.idem.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.job.ConflictPolicy;
import io.idem.job.EnqueueOutcome;
import io.idem.job.EnqueueResult;
import io.idem.job.Job;
import io.idem.job.JobPage;
import io.idem.job.JobQuery;
import io.idem.job.JobState;
import io.idem.memory.InMemoryJobStore;
import io.idem.spi.JobClaim;
import io.idem.spi.JobStore;
import io.idem.spi.NewJob;
import io.idem.testkit.SettableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Lua scripts of {@link RedisJobStore} against {@link InMemoryJobStore} (which runs {@link
 * io.idem.spi.JobTransitions} in a critical section): the same random sequence of steps, on one
 * settable clock, runs on both stores; every answer must be equal (exceptions by class and
 * message), and after every step every job, and often the stats, a listing and the pending
 * summaries, are compared, and the Redis indexes and counters are checked against the job hashes.
 * Ids, unique keys, queues and types are drawn from small pools (so conflicts are frequent), with
 * ids whose {@link String#compareTo} order is not their UTF-8 byte order.
 */
class RedisMatchesInMemoryJobStoreTest {

  private static final List<String> IDS =
      List.of(
          "a",
          "b",
          "c",
          "d",
          "e",
          "f",
          "g",
          "h",
          "a:1",
          "é",
          "\uE000x",
          "\uD83D\uDE80",
          "日本",
          "{tag}",
          "x y");
  private static final List<String> KEYS = List.of("k1", "k2", "k3", "ключ");
  private static final List<String> QUEUES = List.of("q1", "q2", "q:3");
  private static final List<String> TYPES = List.of("t1", "t2");
  private static final List<Integer> PRIORITIES =
      // Integer.MIN_VALUE included: CLAIM_ORDER once negated priorities, which overflowed there
      List.of(0, 0, 0, 1, -1, 5, Integer.MAX_VALUE, Integer.MIN_VALUE);
  private static final List<Duration> OFFSETS =
      List.of(
          Duration.ZERO,
          Duration.ofMillis(-1),
          Duration.ofSeconds(-5),
          Duration.ofMillis(1),
          Duration.ofSeconds(2),
          Duration.ofSeconds(10));
  private static final List<Duration> CLOCK_STEPS =
      List.of(
          Duration.ZERO,
          Duration.ofMillis(1),
          Duration.ofSeconds(1),
          Duration.ofSeconds(2),
          Duration.ofSeconds(5),
          Duration.ofSeconds(31));
  private static final List<Duration> LEASES =
      List.of(Duration.ofMillis(1), Duration.ofSeconds(5), Duration.ofSeconds(30));
  private static final List<Set<JobState>> FINAL_STATE_SETS =
      List.of(
          Set.of(),
          Set.of(JobState.SUCCEEDED),
          EnumSet.of(JobState.SUCCEEDED, JobState.DEAD, JobState.CANCELLED, JobState.EXPIRED));

  private final List<String> prefixes = new ArrayList<>();

  @AfterEach
  void deleteKeys() {
    prefixes.forEach(RedisTesting::deleteKeysOf);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4})
  void aRandomRunOfJobStepsGivesTheAnswersOfTheInMemoryStore(long seed) {
    Random random = new Random(seed);
    SettableClock clock = SettableClock.create();
    String prefix = RedisTesting.uniquePrefix("jobdiff");
    prefixes.add(prefix);
    Map<String, Integer> applied = new HashMap<>();
    try (JobStore redis =
            RedisJobStore.builder(RedisTesting.client(), RedisTesting.uri())
                .prefix(prefix)
                .clock(clock)
                .build();
        JobStore memory = InMemoryJobStore.create(clock)) {
      for (int step = 0; step < 600; step++) {
        int op = random.nextInt(100);
        String what;
        Object mine;
        Object theirs;
        if (op < 22) {
          NewJob n = newJob(random, clock.instant());
          what = "enqueue(" + describe(n) + ")";
          mine = redis.enqueue(n);
          theirs = memory.enqueue(n);
          count(applied, "enqueue " + ((EnqueueResult) theirs).outcome());
        } else if (op < 27) {
          List<NewJob> batch = new ArrayList<>();
          int size = random.nextInt(5);
          for (int i = 0; i < size; i++) {
            batch.add(newJob(random, clock.instant()));
          }
          what = "enqueueAll(" + batch.stream().map(this::describe).toList() + ")";
          mine = redis.enqueueAll(batch);
          theirs = memory.enqueueAll(batch);
        } else if (op < 42) {
          List<String> queues = new ArrayList<>();
          queues.add(pick(random, QUEUES));
          if (random.nextBoolean()) {
            queues.add(pick(random, QUEUES));
          }
          Set<String> types = random.nextInt(3) == 0 ? Set.of(pick(random, TYPES)) : Set.of();
          JobClaim c =
              new JobClaim(
                  queues,
                  types,
                  "w" + random.nextInt(3),
                  pick(random, LEASES),
                  1 + random.nextInt(4));
          what = "claim(" + c + ")";
          mine = redis.claim(c);
          theirs = memory.claim(c);
          count(applied, "claimed", ((List<?>) theirs).size());
        } else if (op < 62) {
          String id = random.nextInt(4) == 0 ? pick(random, IDS) : runningId(memory, random);
          long token = tokenOf(memory, id) - (random.nextInt(4) == 0 ? 1 : 0);
          int which = random.nextInt(5);
          switch (which) {
            case 0 -> {
              Duration lease = pick(random, LEASES);
              what = "heartbeat(" + id + ", " + token + ", " + lease + ")";
              mine = redis.heartbeat(id, token, lease);
              theirs = memory.heartbeat(id, token, lease);
            }
            case 1 -> {
              String result = random.nextBoolean() ? null : random.nextBoolean() ? "" : "\"ok\"";
              what = "complete(" + id + ", " + token + ", " + result + ")";
              mine = redis.complete(id, token, result);
              theirs = memory.complete(id, token, result);
            }
            case 2, 3 -> {
              Instant retryAt =
                  random.nextInt(3) == 0 ? null : clock.instant().plus(pick(random, OFFSETS));
              String error = random.nextBoolean() ? "" : "boom ✗";
              what = "fail(" + id + ", " + token + ", " + error + ", " + retryAt + ")";
              mine = redis.fail(id, token, error, retryAt);
              theirs = memory.fail(id, token, error, retryAt);
            }
            default -> {
              what = "release(" + id + ", " + token + ")";
              mine = redis.release(id, token);
              theirs = memory.release(id, token);
            }
          }
          if (Boolean.TRUE.equals(theirs) || (theirs instanceof Optional<?> o && o.isPresent())) {
            count(applied, "fenced");
          }
        } else if (op < 67) {
          String id = pick(random, IDS);
          what = "cancel(" + id + ")";
          mine = redis.cancel(id);
          theirs = memory.cancel(id);
        } else if (op < 74) {
          String id = pick(random, IDS);
          what = "retry(" + id + ")";
          mine = outcome(redis, s -> s.retry(id));
          theirs = outcome(memory, s -> s.retry(id));
          if (theirs instanceof Optional<?> o && o.isPresent()) {
            count(applied, "retried");
          }
        } else if (op < 80) {
          what = "maintain()";
          mine = redis.maintain();
          theirs = memory.maintain();
        } else if (op < 83) {
          Instant cutoff = clock.instant().minus(pick(random, CLOCK_STEPS));
          what = "purge(" + cutoff + ")";
          mine = redis.purge(cutoff);
          theirs = memory.purge(cutoff);
          count(applied, "purged", (Integer) theirs);
        } else if (op < 87) {
          JobQuery q = query(random);
          what = "list(" + q + ") page by page";
          mine = allPages(redis, q);
          theirs = allPages(memory, q);
        } else if (op < 89) {
          String key = pick(random, KEYS);
          what = "pending(" + key + ")";
          mine = redis.pending(key);
          theirs = memory.pending(key);
        } else {
          Duration d = pick(random, CLOCK_STEPS);
          clock.advance(d);
          what = "clock + " + d;
          mine = theirs = null;
        }
        assertThat(mine).as("step %d: %s", step, what).isEqualTo(theirs);
        for (String id : IDS) {
          assertThat(redis.get(id))
              .as("step %d: %s, then get(%s)", step, what, id)
              .isEqualTo(memory.get(id));
        }
        if (step % 10 == 0) {
          assertThat(redis.stats())
              .as("step %d: %s, then stats", step, what)
              .isEqualTo(memory.stats());
          assertThat(allPages(redis, JobQuery.all().withLimit(3)))
              .as("step %d: %s, then list", step, what)
              .isEqualTo(allPages(memory, JobQuery.all().withLimit(3)));
          for (String key : KEYS) {
            assertThat(redis.pending(key))
                .as("step %d: pending(%s)", step, key)
                .isEqualTo(memory.pending(key));
          }
        }
        if (step % 3 == 0) {
          assertThat(RedisJobInvariants.check(prefix, clock.instant()))
              .as("step %d: %s, then the Redis indexes", step, what)
              .isEmpty();
        }
      }
      assertThat(redis.stats()).isEqualTo(memory.stats());
    }
    assertThat(applied.getOrDefault("claimed", 0)).as("claims in %s", applied).isGreaterThan(20);
    assertThat(applied.getOrDefault("fenced", 0)).as("fenced in %s", applied).isGreaterThan(10);
    assertThat(applied.getOrDefault("retried", 0)).as("retried in %s", applied).isGreaterThan(2);
    assertThat(applied.getOrDefault("enqueue " + EnqueueOutcome.REPLACED, 0))
        .as("replaced in %s", applied)
        .isGreaterThan(2);
  }

  private NewJob newJob(Random random, Instant now) {
    String key = random.nextInt(3) == 0 ? null : pick(random, KEYS);
    return new NewJob(
        pick(random, IDS),
        pick(random, TYPES),
        pick(random, QUEUES),
        pick(random, PRIORITIES),
        random.nextInt(4) == 0 ? "" : "{\"n\":" + random.nextInt(100) + "}",
        random.nextInt(3) == 0 ? null : now.plus(pick(random, OFFSETS)),
        random.nextInt(3) == 0 ? now.plus(pick(random, OFFSETS)).plusSeconds(5) : null,
        random.nextInt(3) == 0 ? Duration.ofMillis(1 + random.nextInt(1_000_000)) : null,
        1 + random.nextInt(3),
        key,
        pick(random, FINAL_STATE_SETS),
        pick(random, List.of(ConflictPolicy.values())));
  }

  private String describe(NewJob n) {
    return n.id()
        + "/"
        + n.queue()
        + "/"
        + n.type()
        + " p"
        + n.priority()
        + " run "
        + n.runAt()
        + " exp "
        + n.expiresAt()
        + " key "
        + n.uniqueKey()
        + " "
        + n.uniqueStates()
        + " "
        + n.onConflict();
  }

  private static JobQuery query(Random random) {
    JobQuery q = JobQuery.all().withLimit(1 + random.nextInt(5));
    if (random.nextBoolean()) {
      q = q.withStates(Set.of(pick(random, List.of(JobState.values()))));
    }
    if (random.nextInt(3) == 0) {
      q = q.withType(pick(random, TYPES));
    }
    if (random.nextInt(3) == 0) {
      q = q.withQueue(pick(random, QUEUES));
    }
    if (random.nextInt(3) == 0) {
      q = q.withUniqueKey(pick(random, KEYS));
    }
    return q;
  }

  /** Every page of {@code q}, following the cursors. */
  private static List<JobPage> allPages(JobStore store, JobQuery q) {
    List<JobPage> pages = new ArrayList<>();
    String after = null;
    do {
      JobPage p = store.list(q.withAfter(after));
      pages.add(p);
      after = p.next();
    } while (after != null && pages.size() < 100);
    return pages;
  }

  /** A RUNNING job's id (any id when none runs). */
  private static String runningId(JobStore memory, Random random) {
    List<String> running =
        IDS.stream()
            .filter(id -> memory.get(id).map(j -> j.state() == JobState.RUNNING).orElse(false))
            .toList();
    return running.isEmpty() ? pick(random, IDS) : pick(random, running);
  }

  private static long tokenOf(JobStore memory, String id) {
    return memory.get(id).map(Job::token).orElse(1L);
  }

  /** The answer, or the exception's class and message. */
  private static Object outcome(JobStore store, Function<JobStore, Object> step) {
    try {
      return step.apply(store);
    } catch (RuntimeException e) {
      return e.getClass().getName() + ": " + e.getMessage();
    }
  }

  private static void count(Map<String, Integer> applied, String what) {
    count(applied, what, 1);
  }

  private static void count(Map<String, Integer> applied, String what, int n) {
    applied.merge(what, n, Integer::sum);
  }

  private static <T> T pick(Random random, List<T> from) {
    return from.get(random.nextInt(from.size()));
  }
}
