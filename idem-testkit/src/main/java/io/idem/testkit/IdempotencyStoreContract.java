package io.idem.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.idem.Idem;
import io.idem.IdemPolicy;
import io.idem.IdempotencyKey;
import io.idem.InProgressException;
import io.idem.InProgressPolicy;
import io.idem.Outcome;
import io.idem.PayloadFingerprint;
import io.idem.PayloadMismatchException;
import io.idem.ResultType;
import io.idem.Scope;
import io.idem.spi.ClaimRequest;
import io.idem.spi.ClaimResult;
import io.idem.spi.ClaimStatus;
import io.idem.spi.IdempotencyRecord;
import io.idem.spi.IdempotencyStore;
import io.idem.spi.RecordState;
import io.idem.spi.StoredError;
import io.idem.spi.StoredResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link IdempotencyStore}: every store's test extends this class and says how to
 * build the store. It covers every transition of the record state machine, lease expiry and
 * takeover with a moved clock, fencing (a stale token changes nothing), TTL expiry and purge,
 * payload mismatch, 1 MiB results, unicode keys and payloads, and a concurrency fuzz through {@link
 * Idem}: 16 threads x 1,000 keys, each body counted once and every caller seeing the same result.
 *
 * <pre>{@code
 * class MyStoreTest extends IdempotencyStoreContract {
 *   protected IdempotencyStore createStore(SettableClock clock) { return MyStore.create(clock); }
 * }
 * }</pre>
 */
public abstract class IdempotencyStoreContract {

  protected static final Duration LEASE = Duration.ofSeconds(30);
  protected static final Duration TTL = Duration.ofHours(1);
  protected static final String FP = PayloadFingerprint.of(Map.of("order", 1));
  protected static final String OTHER_FP = PayloadFingerprint.of(Map.of("order", 2));

  protected SettableClock clock;
  protected IdempotencyStore store;

  /** A new, empty store on {@code clock}. Called before each test; closed after it. */
  protected abstract IdempotencyStore createStore(SettableClock clock) throws Exception;

  @BeforeEach
  void setUpStore() throws Exception {
    clock = SettableClock.create();
    store = createStore(clock);
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  protected static String newKey() {
    return "contract:" + UUID.randomUUID();
  }

  protected static ClaimRequest request(String key, String fingerprint) {
    return new ClaimRequest(key, fingerprint, LEASE, TTL, Integer.MAX_VALUE);
  }

  protected static StoredResult result(String text) {
    return new StoredResult("java.lang.String", "\"" + text + "\"", null);
  }

  protected ClaimResult claim(String key) {
    return store.claim(request(key, FP));
  }

  protected long claimToken(String key) {
    ClaimResult r = claim(key);
    assertThat(r.status()).isEqualTo(ClaimStatus.CLAIMED);
    return r.record().token();
  }

  protected IdempotencyRecord stored(String key) {
    return store.get(key).orElseThrow(() -> new AssertionError("no record for " + key));
  }

  // ---- claim --------------------------------------------------------------------------------

  @Nested
  @DisplayName("claim")
  class Claim {

    @Test
    void aFreshKeyIsClaimedWithAttemptOneAndALease() {
      String key = newKey();
      ClaimResult r = claim(key);

      assertThat(r.status()).isEqualTo(ClaimStatus.CLAIMED);
      IdempotencyRecord rec = r.record();
      assertThat(rec.key()).isEqualTo(key);
      assertThat(rec.state()).isEqualTo(RecordState.IN_PROGRESS);
      assertThat(rec.fingerprint()).isEqualTo(FP);
      assertThat(rec.attempt()).isEqualTo(1);
      assertThat(rec.token()).isPositive();
      assertThat(rec.leaseUntil()).isEqualTo(clock.instant().plus(LEASE));
      assertThat(stored(key)).isEqualTo(rec);
    }

    @Test
    void aSecondClaimWhileTheLeaseRunsIsInProgressAndChangesNothing() {
      String key = newKey();
      IdempotencyRecord first = claim(key).record();
      clock.advance(LEASE.minusSeconds(1));

      ClaimResult second = claim(key);

      assertThat(second.status()).isEqualTo(ClaimStatus.IN_PROGRESS);
      assertThat(second.record()).isEqualTo(first);
      assertThat(stored(key)).isEqualTo(first);
    }

    @Test
    void anotherPayloadIsAMismatchCarryingTheStoredFingerprint() {
      String key = newKey();
      IdempotencyRecord first = claim(key).record();

      ClaimResult r = store.claim(request(key, OTHER_FP));

      assertThat(r.status()).isEqualTo(ClaimStatus.MISMATCH);
      assertThat(r.record().fingerprint()).isEqualTo(FP);
      assertThat(stored(key)).isEqualTo(first);
    }

    @Test
    void anotherPayloadOnACompletedKeyIsAMismatch() {
      String key = newKey();
      long token = claimToken(key);
      store.complete(key, token, result("done"), TTL);

      ClaimResult r = store.claim(request(key, OTHER_FP));

      assertThat(r.status()).isEqualTo(ClaimStatus.MISMATCH);
      assertThat(stored(key).state()).isEqualTo(RecordState.COMPLETED);
    }

    @Test
    void concurrentClaimsOfOneKeyHaveExactlyOneWinner() throws Exception {
      int threads = 16;
      for (int round = 0; round < 20; round++) {
        String key = newKey();
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
          List<Future<ClaimResult>> results = new ArrayList<>();
          for (int t = 0; t < threads; t++) {
            results.add(
                pool.submit(
                    () -> {
                      start.await(10, TimeUnit.SECONDS);
                      return claim(key);
                    }));
          }
          int winners = 0;
          long winnerToken = 0;
          for (Future<ClaimResult> f : results) {
            ClaimResult r = f.get(30, TimeUnit.SECONDS);
            if (r.claimed()) {
              winners++;
              winnerToken = r.record().token();
            } else {
              assertThat(r.status()).isEqualTo(ClaimStatus.IN_PROGRESS);
            }
          }
          assertThat(winners).as("round %d", round).isEqualTo(1);
          assertThat(stored(key).token()).isEqualTo(winnerToken);
        } finally {
          pool.shutdownNow();
        }
      }
    }
  }

  // ---- complete -----------------------------------------------------------------------------

  @Nested
  @DisplayName("complete")
  class Complete {

    @Test
    void completeRecordsTheResultUntilTheTtl() {
      String key = newKey();
      long token = claimToken(key);
      clock.advance(Duration.ofSeconds(5));

      assertThat(store.complete(key, token, result("done"), TTL)).isTrue();

      IdempotencyRecord rec = stored(key);
      assertThat(rec.state()).isEqualTo(RecordState.COMPLETED);
      assertThat(rec.token()).isEqualTo(token);
      assertThat(rec.attempt()).isEqualTo(1);
      assertThat(rec.result().encoded()).isEqualTo("\"done\"");
      assertThat(rec.result().type()).isEqualTo("java.lang.String");
      assertThat(rec.expiresAt()).isEqualTo(clock.instant().plus(TTL));
      assertThat(rec.leaseUntil()).isNull();
      assertThat(rec.updatedAt()).isEqualTo(clock.instant());
      assertThat(rec.createdAt()).isEqualTo(clock.instant().minusSeconds(5));
    }

    @Test
    void aClaimOfACompletedKeyReturnsTheResult() {
      String key = newKey();
      long token = claimToken(key);
      store.complete(key, token, result("done"), TTL);

      ClaimResult r = claim(key);

      assertThat(r.status()).isEqualTo(ClaimStatus.COMPLETED);
      assertThat(r.record().result().encoded()).isEqualTo("\"done\"");
    }

    @Test
    void completeOfAnAbsentKeyIsRefused() {
      assertThat(store.complete(newKey(), 1, result("x"), TTL)).isFalse();
    }

    @Test
    void completeTwiceIsRefusedTheSecondTime() {
      String key = newKey();
      long token = claimToken(key);
      assertThat(store.complete(key, token, result("first"), TTL)).isTrue();

      assertThat(store.complete(key, token, result("second"), TTL)).isFalse();
      assertThat(stored(key).result().encoded()).isEqualTo("\"first\"");
    }

    @Test
    void aOneMebibyteResultSurvives() {
      String key = newKey();
      long token = claimToken(key);
      StringBuilder sb = new StringBuilder(1 << 20);
      for (int i = 0; sb.length() < (1 << 20); i++) {
        sb.append((char) ('a' + i % 26));
      }
      String big = "\"" + sb + "\"";

      assertThat(store.complete(key, token, new StoredResult("java.lang.String", big, null), TTL))
          .isTrue();

      assertThat(stored(key).result().encoded()).isEqualTo(big);
      assertThat(claim(key).record().result().encoded()).isEqualTo(big);
    }
  }

  // ---- fencing --------------------------------------------------------------------------------

  @Nested
  @DisplayName("fencing tokens")
  class Fencing {

    @Test
    void aTakenOverHoldersCompleteFailAndExtendAreRefusedAndChangeNothing() {
      String key = newKey();
      long stale = claimToken(key);
      clock.advance(LEASE.plusSeconds(1));
      ClaimResult takeover = claim(key);
      assertThat(takeover.status()).isEqualTo(ClaimStatus.CLAIMED);
      IdempotencyRecord current = takeover.record();

      assertThat(store.complete(key, stale, result("stale"), TTL)).isFalse();
      assertThat(store.fail(key, stale, new StoredError("E", "stale"), TTL, TTL)).isFalse();
      assertThat(store.extend(key, stale, LEASE)).isFalse();

      assertThat(stored(key)).isEqualTo(current);
    }

    @Test
    void aTakeoverHasAGreaterTokenAndTheNextAttempt() {
      String key = newKey();
      long first = claimToken(key);
      clock.advance(LEASE);

      ClaimResult r = claim(key);

      assertThat(r.status()).isEqualTo(ClaimStatus.CLAIMED);
      assertThat(r.record().token()).isGreaterThan(first);
      assertThat(r.record().attempt()).isEqualTo(2);
      assertThat(r.record().leaseUntil()).isEqualTo(clock.instant().plus(LEASE));
    }

    @Test
    void tokensKeepGrowingAfterDeleteAndPurge() {
      String key = newKey();
      long first = claimToken(key);
      assertThat(store.delete(key)).isTrue();
      long second = claimToken(key);
      assertThat(second).isGreaterThan(first);

      store.complete(key, second, result("x"), TTL);
      clock.advance(TTL.plusSeconds(1));
      assertThat(store.purgeExpired(100)).isEqualTo(1);
      long third = claimToken(key);
      assertThat(third).isGreaterThan(second);
      assertThat(store.complete(key, first, result("stale"), TTL)).isFalse();
      assertThat(store.complete(key, second, result("stale"), TTL)).isFalse();
    }

    @Test
    void theHolderMayCompleteAfterItsLeasePassedWhenNobodyTookOver() {
      String key = newKey();
      long token = claimToken(key);
      clock.advance(LEASE.multipliedBy(2));

      assertThat(store.complete(key, token, result("late"), TTL)).isTrue();
      assertThat(claim(key).status()).isEqualTo(ClaimStatus.COMPLETED);
    }
  }

  // ---- extend ---------------------------------------------------------------------------------

  @Nested
  @DisplayName("extend")
  class Extend {

    @Test
    void extendPushesTheLeaseSoNobodyTakesOver() {
      String key = newKey();
      long token = claimToken(key);
      clock.advance(Duration.ofSeconds(20));
      assertThat(store.extend(key, token, LEASE)).isTrue();
      assertThat(stored(key).leaseUntil()).isEqualTo(clock.instant().plus(LEASE));

      clock.advance(Duration.ofSeconds(20)); // past the first lease, within the second
      assertThat(claim(key).status()).isEqualTo(ClaimStatus.IN_PROGRESS);

      clock.advance(Duration.ofSeconds(11));
      assertThat(claim(key).status()).isEqualTo(ClaimStatus.CLAIMED);
    }

    @Test
    void extendOfACompletedKeyIsRefused() {
      String key = newKey();
      long token = claimToken(key);
      store.complete(key, token, result("x"), TTL);

      assertThat(store.extend(key, token, LEASE)).isFalse();
      assertThat(stored(key).state()).isEqualTo(RecordState.COMPLETED);
    }
  }

  // ---- fail -----------------------------------------------------------------------------------

  @Nested
  @DisplayName("fail")
  class Fail {

    @Test
    void aCachedFailureIsReturnedUntilRetryAfterThenTheKeyIsClaimedAgain() {
      String key = newKey();
      long token = claimToken(key);
      Duration cache = Duration.ofMinutes(10);

      assertThat(store.fail(key, token, new StoredError("java.io.IOException", "boom"), cache, TTL))
          .isTrue();

      IdempotencyRecord rec = stored(key);
      assertThat(rec.state()).isEqualTo(RecordState.FAILED);
      assertThat(rec.error()).isEqualTo(new StoredError("java.io.IOException", "boom"));
      assertThat(rec.retryAfter()).isEqualTo(clock.instant().plus(cache));
      assertThat(rec.expiresAt()).isEqualTo(clock.instant().plus(TTL));

      ClaimResult cached = claim(key);
      assertThat(cached.status()).isEqualTo(ClaimStatus.CACHED_FAILURE);
      assertThat(cached.record().error().message()).isEqualTo("boom");

      clock.advance(cache);
      ClaimResult again = claim(key);
      assertThat(again.status()).isEqualTo(ClaimStatus.CLAIMED);
      assertThat(again.record().attempt()).isEqualTo(2);
      assertThat(again.record().token()).isGreaterThan(token);
    }

    @Test
    void aReleaseMakesTheKeyClaimableAtOnceEvenWithAnotherPayload() {
      String key = newKey();
      long token = claimToken(key);

      assertThat(store.fail(key, token, null, Duration.ZERO, TTL)).isTrue();
      assertThat(stored(key).state()).isEqualTo(RecordState.FAILED);
      assertThat(stored(key).error()).isNull();

      ClaimResult r = store.claim(request(key, OTHER_FP));
      assertThat(r.status()).isEqualTo(ClaimStatus.CLAIMED);
      assertThat(r.record().fingerprint()).isEqualTo(OTHER_FP);
      assertThat(r.record().attempt()).isEqualTo(2);
    }

    @Test
    void aKeyWithNoAttemptsLeftIsExhaustedAndUnchanged() {
      String key = newKey();
      ClaimRequest twoAttempts = new ClaimRequest(key, FP, LEASE, TTL, 2);
      long t1 = store.claim(twoAttempts).record().token();
      store.fail(key, t1, new StoredError("E", "one"), Duration.ZERO, TTL);
      long t2 = store.claim(twoAttempts).record().token();
      store.fail(key, t2, new StoredError("E", "two"), Duration.ZERO, TTL);
      IdempotencyRecord before = stored(key);

      ClaimResult r = store.claim(twoAttempts);

      assertThat(r.status()).isEqualTo(ClaimStatus.EXHAUSTED);
      assertThat(r.record().attempt()).isEqualTo(2);
      assertThat(r.record().error().message()).isEqualTo("two");
      assertThat(stored(key)).isEqualTo(before);
    }

    @Test
    void aCrashedHolderTakenOverTooOftenIsExhausted() {
      String key = newKey();
      ClaimRequest oneAttempt = new ClaimRequest(key, FP, LEASE, TTL, 1);
      assertThat(store.claim(oneAttempt).status()).isEqualTo(ClaimStatus.CLAIMED);
      clock.advance(LEASE);

      assertThat(store.claim(oneAttempt).status()).isEqualTo(ClaimStatus.EXHAUSTED);
    }
  }

  // ---- expiry, delete, purge --------------------------------------------------------------------

  @Nested
  @DisplayName("expiry")
  class Expiry {

    @Test
    void aCompletedRecordIsGoneAfterItsTtlAndTheKeyStartsOver() {
      String key = newKey();
      long token = claimToken(key);
      store.complete(key, token, result("x"), TTL);

      clock.advance(TTL.minusMillis(1));
      assertThat(store.get(key)).isPresent();
      clock.advance(Duration.ofMillis(1));
      assertThat(store.get(key)).isEmpty();

      ClaimResult r = store.claim(request(key, OTHER_FP));
      assertThat(r.status()).isEqualTo(ClaimStatus.CLAIMED);
      assertThat(r.record().attempt()).isEqualTo(1);
      assertThat(r.record().token()).isGreaterThan(token);
    }

    @Test
    void purgeDeletesExpiredRecordsOnlyAndRespectsItsLimit() {
      List<String> expired = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String key = newKey();
        store.complete(key, claimToken(key), result("x"), Duration.ofMinutes(1));
        expired.add(key);
      }
      String kept = newKey();
      store.complete(kept, claimToken(kept), result("x"), Duration.ofHours(2));
      String running = newKey();
      claimToken(running);
      String failed = newKey();
      store.fail(
          failed,
          claimToken(failed),
          new StoredError("E", null),
          Duration.ZERO,
          Duration.ofMinutes(1));

      clock.advance(Duration.ofMinutes(1));
      assertThat(store.purgeExpired(3)).isEqualTo(3);
      assertThat(store.purgeExpired(100)).isEqualTo(3);
      assertThat(store.purgeExpired(100)).isZero();

      assertThat(store.get(kept)).isPresent();
      assertThat(store.get(running)).isPresent(); // lease over, but kept until its ttl
      for (String key : expired) {
        assertThat(store.get(key)).isEmpty();
      }
    }

    @Test
    void anAbandonedClaimIsPurgedAfterItsTtl() {
      String key = newKey();
      claimToken(key);
      clock.advance(TTL);
      assertThat(store.purgeExpired(10)).isEqualTo(1);
      assertThat(store.get(key)).isEmpty();
    }

    @Test
    void deleteRemovesAnyRecord() {
      String key = newKey();
      claimToken(key);
      assertThat(store.delete(key)).isTrue();
      assertThat(store.get(key)).isEmpty();
      assertThat(store.delete(key)).isFalse();
    }

    @Test
    void getOfAnAbsentKeyIsEmpty() {
      assertThat(store.get(newKey())).isEmpty();
    }
  }

  // ---- keys and payloads ------------------------------------------------------------------------

  @Nested
  @DisplayName("keys and payloads")
  class KeysAndPayloads {

    @Test
    void unicodeKeysPayloadsAndResultsRoundTrip() {
      String key = "ключ:日本語:🎉:" + UUID.randomUUID();
      String fp = PayloadFingerprint.of(Map.of("name", "Zoë 🍕", "city", "東京"));
      long token = store.claim(new ClaimRequest(key, fp, LEASE, TTL, 10)).record().token();
      String json = "\"naïve café — 你好 🎉\"";
      store.complete(key, token, new StoredResult("java.lang.String", json, null), TTL);

      IdempotencyRecord rec = stored(key);
      assertThat(rec.key()).isEqualTo(key);
      assertThat(rec.fingerprint()).isEqualTo(fp);
      assertThat(rec.result().encoded()).isEqualTo(json);
      assertThat(store.claim(new ClaimRequest(key, fp, LEASE, TTL, 10)).status())
          .isEqualTo(ClaimStatus.COMPLETED);
    }

    @Test
    void keysThatDifferOnlyInCaseOrUnicodeFormAreDifferentKeys() {
      String base = "case:" + UUID.randomUUID();
      claimToken(base + ":abc");
      assertThat(claim(base + ":ABC").status()).isEqualTo(ClaimStatus.CLAIMED);
      claimToken(base + ":\u00e9"); // é precomposed
      assertThat(claim(base + ":e\u0301").status()).isEqualTo(ClaimStatus.CLAIMED);
    }

    @Test
    void aKeyOfTheMaximumLengthWorks() {
      String prefix = "long:";
      String key = prefix + "x".repeat(IdempotencyKey.MAX_LENGTH - prefix.length());
      long token = claimToken(key);
      assertThat(store.complete(key, token, result("x"), TTL)).isTrue();
      assertThat(stored(key).key()).hasSize(IdempotencyKey.MAX_LENGTH);
    }
  }

  // ---- through the facade -----------------------------------------------------------------------

  /** A typed result for {@link ThroughIdem#typedResultsSurviveTheRoundTrip()}. */
  public record Receipt(String id, long cents, Instant at, List<String> lines) {}

  @Nested
  @DisplayName("through Idem")
  class ThroughIdem {

    private Idem idem() {
      return Idem.builder(store).clock(clock).noBackgroundPurge().build();
    }

    @Test
    void aDuplicateIsReplayedAndTheBodyRanOnce() {
      try (Idem idem = idem()) {
        IdempotencyKey key = IdempotencyKey.of("email.welcome", Scope.user(42), Map.of("t", 1));
        AtomicInteger runs = new AtomicInteger();

        Outcome<String> first = idem.once(key, null, () -> "sent-" + runs.incrementAndGet());
        Outcome<String> second = idem.once(key, null, () -> "sent-" + runs.incrementAndGet());

        assertThat(first.wasExecuted()).isTrue();
        assertThat(second.wasReplayed()).isTrue();
        assertThat(second.value()).isEqualTo("sent-1");
        assertThat(runs).hasValue(1);
      }
    }

    @Test
    void typedResultsSurviveTheRoundTrip() {
      try (Idem idem = idem()) {
        IdempotencyKey key = IdempotencyKey.of("charge", Scope.tenant("acme"), Map.of("o", 7));
        Receipt receipt =
            new Receipt("r-1", 1999, Instant.parse("2026-01-01T10:15:30.123Z"), List.of("a", "ü"));
        idem.once(key, null, () -> receipt);

        Outcome<Receipt> replay = idem.once(key, null, ResultType.of(Receipt.class), () -> null);
        Outcome<List<Receipt>> asList =
            idem.once(
                IdempotencyKey.of("charges", Map.of()),
                null,
                new ResultType<List<Receipt>>() {},
                () -> List.of(receipt));
        Outcome<List<Receipt>> listReplay =
            idem.once(
                IdempotencyKey.of("charges", Map.of()),
                null,
                new ResultType<List<Receipt>>() {},
                () -> List.of());

        assertThat(replay.wasReplayed()).isTrue();
        assertThat(replay.value()).isEqualTo(receipt);
        assertThat(asList.wasExecuted()).isTrue();
        assertThat(listReplay.value()).containsExactly(receipt);
      }
    }

    @Test
    void aOneMebibyteResultIsStoredAndReplayed() {
      try (Idem idem = idem()) {
        IdempotencyKey key = IdempotencyKey.readable("big:" + UUID.randomUUID());
        String big = "é🎉x".repeat((1 << 20) / 4);
        assertThat(idem.once(key, null, () -> big).wasExecuted()).isTrue();

        Outcome<String> replay = idem.once(key, null, () -> "other");

        assertThat(replay.wasReplayed()).isTrue();
        assertThat(replay.value()).isEqualTo(big);
      }
    }

    @Test
    void aConcurrentDuplicateIsRefusedWhileTheFirstRuns() throws Exception {
      try (Idem idem = idem()) {
        IdempotencyKey key = IdempotencyKey.of("report", Map.of("id", 5));
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
          Future<Outcome<String>> first =
              pool.submit(
                  () ->
                      idem.once(
                          key,
                          null,
                          () -> {
                            started.countDown();
                            release.await(10, TimeUnit.SECONDS);
                            return "first";
                          }));
          assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
          IdemPolicy reject = IdemPolicy.builder().onInProgress(InProgressPolicy.reject()).build();

          assertThatThrownBy(() -> idem.once(key, null, reject, () -> "second"))
              .isInstanceOf(InProgressException.class)
              .hasMessageContaining(key.value());

          release.countDown();
          assertThat(first.get(10, TimeUnit.SECONDS).value()).isEqualTo("first");
          assertThat(idem.once(key, null, reject, () -> "third").value()).isEqualTo("first");
        } finally {
          pool.shutdownNow();
        }
      }
    }

    @Test
    void aMismatchedPayloadIsRefusedAndTheBodyDoesNotRun() {
      try (Idem idem = idem()) {
        IdempotencyKey key = IdempotencyKey.readable("refund:" + UUID.randomUUID());
        idem.once(key, Map.of("amount", 10), () -> "ok");
        AtomicInteger runs = new AtomicInteger();

        assertThatThrownBy(() -> idem.once(key, Map.of("amount", 11), runs::incrementAndGet))
            .isInstanceOf(PayloadMismatchException.class);
        assertThat(runs).hasValue(0);
        assertThat(idem.once(key, Map.of("amount", 10.0), () -> "again").value()).isEqualTo("ok");
      }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void fuzzSixteenThreadsOverAThousandKeysRunEachBodyOnceAndAgreeOnResults() throws Exception {
      int threads = 16;
      int keys = 1000;
      String run = UUID.randomUUID().toString();
      AtomicInteger[] executions = new AtomicInteger[keys];
      for (int i = 0; i < keys; i++) {
        executions[i] = new AtomicInteger();
      }
      AtomicReferenceArray<String> firstSeen = new AtomicReferenceArray<>(keys);
      Set<String> disagreements = ConcurrentHashMap.newKeySet();
      IdemPolicy policy =
          IdemPolicy.builder()
              .onInProgress(InProgressPolicy.waitUpTo(Duration.ofSeconds(60)))
              .build();
      try (Idem idem = idem()) {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CyclicBarrier start = new CyclicBarrier(threads);
        try {
          List<Future<Integer>> calls = new ArrayList<>();
          for (int t = 0; t < threads; t++) {
            int seed = t;
            calls.add(
                pool.submit(
                    () -> {
                      List<Integer> order = new ArrayList<>();
                      for (int i = 0; i < keys; i++) {
                        order.add(i);
                      }
                      Collections.shuffle(order, new java.util.Random(seed));
                      start.await(30, TimeUnit.SECONDS);
                      int done = 0;
                      for (int i : order) {
                        IdempotencyKey key =
                            IdempotencyKey.of("fuzz", Scope.tenant(run), Map.of("i", i));
                        Outcome<String> o =
                            idem.once(
                                key,
                                Map.of("i", i),
                                policy,
                                () -> {
                                  executions[i].incrementAndGet();
                                  return "r" + i + "-" + UUID.randomUUID();
                                });
                        String value = o.value();
                        if (!firstSeen.compareAndSet(i, null, value)
                            && !firstSeen.get(i).equals(value)) {
                          disagreements.add(i + ": " + firstSeen.get(i) + " vs " + value);
                        }
                        done++;
                      }
                      return done;
                    }));
          }
          int total = 0;
          for (Future<Integer> f : calls) {
            total += f.get(110, TimeUnit.SECONDS);
          }
          assertThat(total).isEqualTo(threads * keys);
        } finally {
          pool.shutdownNow();
        }
      }
      for (int i = 0; i < keys; i++) {
        assertThat(executions[i].get()).as("executions of key %d", i).isEqualTo(1);
      }
      assertThat(disagreements).isEmpty();
    }
  }
}
