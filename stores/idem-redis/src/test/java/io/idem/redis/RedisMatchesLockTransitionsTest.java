package io.idem.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.memory.InMemoryLockStore;
import io.idem.memory.InMemoryProcessedSetStore;
import io.idem.spi.LockStore;
import io.idem.spi.ProcessedSetStore;
import io.idem.testkit.SettableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Lua scripts of {@link RedisLockStore} against {@link io.idem.spi.LockTransitions} itself, and
 * those of {@link RedisProcessedSetStore} against the in-memory sets: the same random sequence of
 * steps runs on the Redis store and on the in-memory store, with the clock moving across leases;
 * every answer must be the same. Both lock stores number a lock's tokens from 1, so tokens are
 * compared as they are.
 */
class RedisMatchesLockTransitionsTest {

  private static final List<String> NAMES = List.of("a", "b:ü", "c:{tag}", "}%7D");
  private static final List<Duration> CLOCK_STEPS =
      List.of(
          Duration.ZERO,
          Duration.ofMillis(1),
          Duration.ofSeconds(1),
          Duration.ofSeconds(5),
          Duration.ofSeconds(10),
          Duration.ofSeconds(31));
  private static final List<Duration> LEASES =
      List.of(Duration.ofMillis(1), Duration.ofSeconds(5), Duration.ofSeconds(30));
  private static final List<Duration> KEEPS =
      List.of(Duration.ZERO, Duration.ZERO, Duration.ofMillis(1), Duration.ofSeconds(10));

  private final List<String> prefixes = new ArrayList<>();

  @AfterEach
  void deleteKeys() {
    prefixes.forEach(RedisTesting::deleteKeysOf);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void aRandomRunOfLockStepsGivesTheAnswersOfLockTransitions(long seed) {
    Random random = new Random(seed);
    SettableClock clock = SettableClock.create();
    String prefix = RedisTesting.uniquePrefix("lockdiff");
    prefixes.add(prefix);
    Map<String, Long> lastToken = new HashMap<>();
    int acquired = 0;
    int applied = 0;
    try (LockStore redis =
            RedisLockStore.builder(RedisTesting.client(), RedisTesting.uri())
                .prefix(prefix)
                .clock(clock)
                .build();
        LockStore memory = InMemoryLockStore.create(clock)) {
      for (int step = 0; step < 500; step++) {
        String name = NAMES.get(random.nextInt(NAMES.size()));
        long last = lastToken.getOrDefault(name, 0L);
        // the current token, one before it (stale) or one after it (never given)
        long token = Math.max(0, last + random.nextInt(3) - 1);
        int op = random.nextInt(100);
        String what;
        Object mine;
        Object theirs;
        if (op < 35) {
          Duration lease = LEASES.get(random.nextInt(LEASES.size()));
          String owner = "owner-" + random.nextInt(3);
          what = "tryAcquire(" + name + ", " + owner + ", " + lease + ")";
          var r = redis.tryAcquire(name, owner, lease);
          var m = memory.tryAcquire(name, owner, lease);
          if (r.acquired()) {
            lastToken.put(name, r.lease().token());
            acquired++;
          }
          mine = r;
          theirs = m;
        } else if (op < 55) {
          Duration lease = LEASES.get(random.nextInt(LEASES.size()));
          what = "extend(" + name + ", " + token + ", " + lease + ")";
          mine = redis.extend(name, token, lease);
          theirs = memory.extend(name, token, lease);
          applied += Boolean.TRUE.equals(mine) ? 1 : 0;
        } else if (op < 75) {
          Duration keep = KEEPS.get(random.nextInt(KEEPS.size()));
          what = "release(" + name + ", " + token + ", " + keep + ")";
          mine = redis.release(name, token, keep);
          theirs = memory.release(name, token, keep);
          applied += Boolean.TRUE.equals(mine) ? 1 : 0;
        } else if (op < 85) {
          what = "holder(" + name + ")";
          mine = redis.holder(name);
          theirs = memory.holder(name);
        } else {
          Duration d = CLOCK_STEPS.get(random.nextInt(CLOCK_STEPS.size()));
          clock.advance(d);
          what = "clock + " + d;
          mine = theirs = null;
        }
        assertThat(mine).as("step %d: %s", step, what).isEqualTo(theirs);
        for (String n : NAMES) {
          assertThat(redis.holder(n))
              .as("step %d: %s, then holder(%s)", step, what, n)
              .isEqualTo(memory.holder(n));
        }
      }
    }
    assertThat(acquired).as("acquisitions").isGreaterThan(20);
    assertThat(applied).as("extends and releases that applied").isGreaterThan(20);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2})
  void aRandomRunOfSetStepsGivesTheAnswersOfTheInMemorySets(long seed) {
    Random random = new Random(seed);
    SettableClock clock = SettableClock.create();
    String prefix = RedisTesting.uniquePrefix("setdiff");
    prefixes.add(prefix);
    List<String> members = List.of("j1", "j2", "j3", "é", "");
    try (ProcessedSetStore redis =
            RedisProcessedSetStore.builder(RedisTesting.client(), RedisTesting.uri())
                .prefix(prefix)
                .clock(clock)
                .build();
        ProcessedSetStore memory = InMemoryProcessedSetStore.create(clock)) {
      for (int step = 0; step < 400; step++) {
        String set = NAMES.get(random.nextInt(NAMES.size()));
        String member = members.get(random.nextInt(members.size()));
        int op = random.nextInt(100);
        String what;
        Object mine;
        Object theirs;
        if (op < 35) {
          what = "add(" + set + ", " + member + ")";
          mine = redis.add(set, member);
          theirs = memory.add(set, member);
        } else if (op < 60) {
          what = "remove(" + set + ", " + member + ")";
          mine = redis.remove(set, member);
          theirs = memory.remove(set, member);
        } else if (op < 70) {
          what = "contains(" + set + ", " + member + ")";
          mine = redis.contains(set, member);
          theirs = memory.contains(set, member);
        } else if (op < 75) {
          what = "clear(" + set + ")";
          mine = redis.clear(set);
          theirs = memory.clear(set);
        } else if (op < 85) {
          what = "lastModified(" + set + ")";
          mine = redis.lastModified(set);
          theirs = memory.lastModified(set);
        } else {
          Duration d = CLOCK_STEPS.get(random.nextInt(CLOCK_STEPS.size()));
          clock.advance(d);
          what = "clock + " + d;
          mine = theirs = null;
        }
        assertThat(Objects.equals(mine, theirs))
            .as("step %d: %s answered %s, in memory %s", step, what, mine, theirs)
            .isTrue();
        for (String s : NAMES) {
          assertThat(redis.members(s))
              .as("step %d: %s, then members(%s)", step, what, s)
              .isEqualTo(memory.members(s));
        }
      }
    }
  }
}
