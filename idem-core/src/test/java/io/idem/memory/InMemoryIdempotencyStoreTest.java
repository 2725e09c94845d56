package io.idem.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.idem.SettableClock;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.ClaimStatus;
import io.idem.spi.RecordState;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InMemoryIdempotencyStoreTest {

  private static final Instant T0 = Instant.parse("2025-10-01T00:00:00Z");
  private static final String FP = "f".repeat(64);
  private static final StoredResult RESULT = new StoredResult("java.lang.String", "\"r\"", "r");

  private final SettableClock clock = new SettableClock(T0);
  private final InMemoryIdempotencyStore store = InMemoryIdempotencyStore.create(clock);

  private static ClaimRequest request(String key) {
    return new ClaimRequest(key, FP, Duration.ofSeconds(30), Duration.ofHours(1), 5);
  }

  @Test
  void claimCompleteAndReplay() {
    ClaimResult claim = store.claim(request("k"));
    assertThat(claim.status()).isEqualTo(ClaimStatus.CLAIMED);
    long token = claim.record().token();

    assertThat(store.complete("k", token, RESULT, Duration.ofHours(1))).isTrue();

    ClaimResult again = store.claim(request("k"));
    assertThat(again.status()).isEqualTo(ClaimStatus.COMPLETED);
    assertThat(again.record().result()).isEqualTo(RESULT);
    assertThat(store.get("k").orElseThrow().state()).isEqualTo(RecordState.COMPLETED);
  }

  @Test
  void staleTokenChangesNothing() {
    long token = store.claim(request("k")).record().token();

    assertThat(store.complete("k", token + 1, RESULT, Duration.ofHours(1))).isFalse();
    assertThat(store.fail("k", token + 1, null, Duration.ZERO, Duration.ofHours(1))).isFalse();
    assertThat(store.extend("k", token + 1, Duration.ofMinutes(1))).isFalse();
    assertThat(store.complete("missing", token, RESULT, Duration.ofHours(1))).isFalse();
    assertThat(store.get("missing")).isEmpty();
    assertThat(store.get("k").orElseThrow().state()).isEqualTo(RecordState.IN_PROGRESS);
  }

  @Test
  void failAndExtendUseTheStoreClock() {
    long token = store.claim(request("k")).record().token();
    clock.advance(Duration.ofSeconds(20));

    assertThat(store.extend("k", token, Duration.ofSeconds(30))).isTrue();
    assertThat(store.get("k").orElseThrow().leaseUntil()).isEqualTo(T0.plusSeconds(50));

    assertThat(
            store.fail(
                "k", token, new StoredError("E", "m"), Duration.ofMinutes(1), Duration.ofHours(1)))
        .isTrue();
    assertThat(store.get("k").orElseThrow().retryAfter()).isEqualTo(T0.plusSeconds(80));
    assertThat(store.claim(request("k")).status()).isEqualTo(ClaimStatus.CACHED_FAILURE);
  }

  @Test
  void expiredRecordsAreAbsentButCountedUntilPurged() {
    long token = store.claim(request("k")).record().token();
    store.complete("k", token, RESULT, Duration.ofMinutes(10));

    clock.advance(Duration.ofMinutes(10));

    assertThat(store.get("k")).isEmpty();
    assertThat(store.size()).isEqualTo(1);
    assertThat(store.purgeExpired(10)).isEqualTo(1);
    assertThat(store.size()).isZero();
  }

  @Test
  void purgeRespectsItsLimit() {
    for (int i = 0; i < 5; i++) {
      long token = store.claim(request("k" + i)).record().token();
      store.complete("k" + i, token, RESULT, Duration.ofMinutes(1));
    }
    clock.advance(Duration.ofMinutes(1));

    assertThat(store.purgeExpired(3)).isEqualTo(3);
    assertThat(store.size()).isEqualTo(2);
    assertThat(store.purgeExpired(3)).isEqualTo(2);
  }

  @Test
  void tokensGrowAcrossDeletes() {
    long first = store.claim(request("k")).record().token();
    assertThat(store.delete("k")).isTrue();
    assertThat(store.delete("k")).isFalse();

    assertThat(store.claim(request("k")).record().token()).isGreaterThan(first);
    assertThat(store.claim(request("other")).record().token()).isGreaterThan(first + 1);
  }

  @Test
  void closeForgetsEverything() {
    store.claim(request("k"));

    store.close();

    assertThat(store.size()).isZero();
    assertThat(store.get("k")).isEmpty();
  }

  @Test
  void concurrentClaimsOfOneKeyHaveOneWinner() throws Exception {
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int round = 0; round < 50; round++) {
        String key = "race-" + round;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<ClaimResult>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          results.add(
              pool.submit(
                  () -> {
                    go.await();
                    return store.claim(request(key));
                  }));
        }
        go.countDown();

        int claimed = 0;
        for (Future<ClaimResult> f : results) {
          ClaimResult r = f.get(10, TimeUnit.SECONDS);
          if (r.claimed()) {
            claimed++;
          } else {
            assertThat(r.status()).isEqualTo(ClaimStatus.IN_PROGRESS);
          }
        }
        assertThat(claimed).as("round %d", round).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
