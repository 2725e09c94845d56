package io.idem.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.memory.InMemoryIdempotencyStore;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.ClaimStatus;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import io.idem.testkit.SettableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Lua scripts against {@link io.idem.spi.RecordTransitions} itself: the same random sequence of
 * steps (claims with either payload and any attempt limit, complete/fail/extend with the current, a
 * stale or an unknown token, deletes, purges, and the clock moving across leases, retry times and
 * expiries) runs on the Redis store and on the in-memory store, which applies RecordTransitions
 * directly; every answer and every record must be the same. Tokens are compared by their rank among
 * the tokens each store gave the key, since the stores number them apart.
 */
class RedisMatchesRecordTransitionsTest {

  private static final List<String> KEYS = List.of("a", "b:ü", "c:{tag}");
  private static final List<Duration> STEPS =
      List.of(
          Duration.ZERO,
          Duration.ofMillis(1),
          Duration.ofSeconds(1),
          Duration.ofSeconds(5),
          Duration.ofSeconds(10),
          Duration.ofSeconds(31),
          Duration.ofSeconds(61));

  private final List<String> prefixes = new ArrayList<>();

  @AfterEach
  void deleteKeys() {
    prefixes.forEach(RedisTesting::deleteKeysOf);
  }

  /**
   * @param readFirst whether every claim reads the record first (answering from the read what
   *     changes nothing), else as the store decides (mostly the script alone in these runs)
   */
  @ParameterizedTest(name = "seed {0}, every claim reading first: {1}")
  @CsvSource({"1, false", "2, false", "3, false", "4, false", "1, true", "2, true", "5, true"})
  void aRandomRunGivesTheAnswersOfRecordTransitions(long seed, boolean readFirst) {
    Random random = new Random(seed);
    SettableClock clock = SettableClock.create();
    String prefix = RedisTesting.uniquePrefix("diff");
    prefixes.add(prefix);
    RedisIdempotencyStore.Builder builder =
        RedisIdempotencyStore.builder(RedisTesting.client(), RedisTesting.uri())
            .prefix(prefix)
            .shards(2)
            .clock(clock);
    if (readFirst) {
      builder.alwaysReadFirst();
    }
    try (IdempotencyStore redis = builder.build();
        IdempotencyStore memory = InMemoryIdempotencyStore.create(clock)) {
      Tokens redisTokens = new Tokens();
      Tokens memoryTokens = new Tokens();
      Set<ClaimStatus> seen = EnumSet.noneOf(ClaimStatus.class);
      for (int step = 0; step < 600; step++) {
        String key = KEYS.get(random.nextInt(KEYS.size()));
        int op = random.nextInt(100);
        String what;
        if (op < 35) {
          ClaimRequest request =
              new ClaimRequest(
                  key,
                  random.nextInt(4) == 0 ? "fp-B" : "fp-A",
                  pick(random, Duration.ofSeconds(10), Duration.ofSeconds(30)),
                  pick(random, Duration.ofSeconds(5), Duration.ofSeconds(60)),
                  pick(random, 1, 1, 2, 3, Integer.MAX_VALUE));
          what = "claim " + request;
          ClaimResult r = redis.claim(request);
          ClaimResult m = memory.claim(request);
          redisTokens.saw(r);
          memoryTokens.saw(m);
          assertThat(r.status()).as(step + ": " + what).isEqualTo(m.status());
          seen.add(r.status());
          assertThat(redisTokens.normal(r.record()))
              .as(step + ": " + what)
              .isEqualTo(memoryTokens.normal(m.record()));
        } else if (op < 50) {
          int ref = random.nextInt(3);
          Duration ttl = pick(random, Duration.ofSeconds(5), Duration.ofSeconds(60));
          StoredResult result = new StoredResult("T", "\"r" + step + "\"", null);
          what = "complete " + key + " token#" + ref + " ttl " + ttl;
          assertThat(redis.complete(key, redisTokens.ref(key, ref), result, ttl))
              .as(step + ": " + what)
              .isEqualTo(memory.complete(key, memoryTokens.ref(key, ref), result, ttl));
        } else if (op < 65) {
          int ref = random.nextInt(3);
          StoredError error =
              pick(random, null, new StoredError("E", "m" + step), new StoredError("E", null));
          Duration retryAfter =
              pick(random, Duration.ZERO, Duration.ofSeconds(5), Duration.ofSeconds(20));
          Duration ttl = pick(random, Duration.ofSeconds(1), Duration.ofSeconds(60));
          what = "fail " + key + " token#" + ref + " " + error + " " + retryAfter + " " + ttl;
          assertThat(redis.fail(key, redisTokens.ref(key, ref), error, retryAfter, ttl))
              .as(step + ": " + what)
              .isEqualTo(memory.fail(key, memoryTokens.ref(key, ref), error, retryAfter, ttl));
        } else if (op < 75) {
          int ref = random.nextInt(3);
          Duration lease = pick(random, Duration.ofSeconds(5), Duration.ofSeconds(40));
          what = "extend " + key + " token#" + ref + " " + lease;
          assertThat(redis.extend(key, redisTokens.ref(key, ref), lease))
              .as(step + ": " + what)
              .isEqualTo(memory.extend(key, memoryTokens.ref(key, ref), lease));
        } else if (op < 78) {
          what = "delete " + key;
          assertThat(redis.delete(key)).as(step + ": " + what).isEqualTo(memory.delete(key));
        } else if (op < 83) {
          // a limit above the number of keys: with a smaller one, which expired records go
          // first is up to each store, and a holder may still complete an unpurged one
          int limit = 10;
          what = "purge " + limit;
          assertThat(redis.purgeExpired(limit))
              .as(step + ": " + what)
              .isEqualTo(memory.purgeExpired(limit));
        } else {
          Duration d = STEPS.get(random.nextInt(STEPS.size()));
          what = "advance " + d;
          clock.advance(d);
        }
        for (String k : KEYS) {
          Optional<IdempotencyRecord> r = redis.get(k).map(redisTokens::normal);
          Optional<IdempotencyRecord> m = memory.get(k).map(memoryTokens::normal);
          assertThat(r).as(step + ": after " + what + ", record of " + k).isEqualTo(m);
        }
      }
      assertThat(seen)
          .as("claim answers of this run")
          .containsExactlyInAnyOrder(ClaimStatus.values());
    }
  }

  @SafeVarargs
  private static <T> T pick(Random random, T... choices) {
    return choices[random.nextInt(choices.length)];
  }

  /** The tokens one store gave each key, in order. */
  private static final class Tokens {
    private final Map<String, List<Long>> issued = new HashMap<>();

    void saw(ClaimResult r) {
      if (r.claimed()) {
        List<Long> list = issued.computeIfAbsent(r.record().key(), k -> new ArrayList<>());
        if (!list.isEmpty()) {
          assertThat(r.record().token()).isGreaterThan(list.get(list.size() - 1));
        }
        list.add(r.record().token());
      }
    }

    /** 0: the latest token of the key, 1: the one before, 2: one never given. */
    long ref(String key, int ref) {
      List<Long> list = issued.getOrDefault(key, List.of());
      int i = list.size() - 1 - ref;
      return ref < 2 && i >= 0 ? list.get(i) : 1_000_000_000L;
    }

    /** The record with its token replaced by the token's rank for the key. */
    IdempotencyRecord normal(IdempotencyRecord r) {
      long rank = issued.getOrDefault(r.key(), List.of()).indexOf(r.token());
      return new IdempotencyRecord(
          r.key(),
          r.state(),
          r.fingerprint(),
          rank,
          r.attempt(),
          r.leaseUntil(),
          r.expiresAt(),
          r.retryAfter(),
          r.result() == null ? null : r.result().withoutValue(),
          r.error(),
          r.createdAt(),
          r.updatedAt());
    }
  }
}
