package io.idem.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class RecordTransitionsTest {

  private static final Instant T0 = Instant.parse("2025-10-01T00:00:00Z");
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration TTL = Duration.ofHours(1);
  private static final String FP = "a".repeat(64);
  private static final String OTHER_FP = "b".repeat(64);
  private static final StoredResult RESULT = new StoredResult("java.lang.String", "\"ok\"", "ok");
  private static final StoredError ERROR =
      new StoredError("java.lang.IllegalStateException", "boom");

  private static final LongSupplier NO_TOKEN =
      () -> {
        throw new AssertionError("no token may be drawn when nothing is claimed");
      };

  private static ClaimRequest request(String fingerprint) {
    return new ClaimRequest("k", fingerprint, LEASE, TTL, 3);
  }

  private static ClaimRequest request(String fingerprint, int maxAttempts) {
    return new ClaimRequest("k", fingerprint, LEASE, TTL, maxAttempts);
  }

  private static LongSupplier tokens(long next) {
    return () -> next;
  }

  /** A record claimed at T0 with token 5, attempt 1. */
  private static IdempotencyRecord inProgress() {
    return claimed(RecordTransitions.claim(null, request(FP), T0, tokens(5)));
  }

  private static IdempotencyRecord claimed(ClaimResult result) {
    assertThat(result.status()).isEqualTo(ClaimStatus.CLAIMED);
    assertThat(result.claimed()).isTrue();
    return result.record();
  }

  private static IdempotencyRecord completed() {
    return RecordTransitions.complete(inProgress(), 5, RESULT, TTL, T0.plusSeconds(1));
  }

  private static IdempotencyRecord failed(Duration retryAfter) {
    return RecordTransitions.fail(inProgress(), 5, ERROR, retryAfter, TTL, T0.plusSeconds(1));
  }

  // ---- claim ------------------------------------------------------------------------------

  @Test
  void firstClaimIsAttemptOneWithTheNextToken() {
    IdempotencyRecord r = claimed(RecordTransitions.claim(null, request(FP), T0, tokens(7)));

    assertThat(r.key()).isEqualTo("k");
    assertThat(r.state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(r.fingerprint()).isEqualTo(FP);
    assertThat(r.token()).isEqualTo(7);
    assertThat(r.attempt()).isEqualTo(1);
    assertThat(r.leaseUntil()).isEqualTo(T0.plus(LEASE));
    assertThat(r.expiresAt()).isEqualTo(T0.plus(TTL));
    assertThat(r.retryAfter()).isNull();
    assertThat(r.result()).isNull();
    assertThat(r.error()).isNull();
    assertThat(r.createdAt()).isEqualTo(T0);
    assertThat(r.updatedAt()).isEqualTo(T0);
  }

  @Test
  void firstClaimIsKeptAtLeastForTheLease() {
    ClaimRequest shortTtl = new ClaimRequest("k", FP, LEASE, Duration.ofSeconds(10), 3);

    IdempotencyRecord r = claimed(RecordTransitions.claim(null, shortTtl, T0, tokens(1)));

    assertThat(r.expiresAt()).isEqualTo(T0.plus(LEASE));
  }

  @Test
  void otherPayloadIsAMismatchAndChangesNothing() {
    for (IdempotencyRecord existing :
        new IdempotencyRecord[] {inProgress(), completed(), failed(Duration.ofMinutes(5))}) {
      ClaimResult r =
          RecordTransitions.claim(existing, request(OTHER_FP), T0.plusSeconds(2), NO_TOKEN);

      assertThat(r.status()).as(existing.state().name()).isEqualTo(ClaimStatus.MISMATCH);
      assertThat(r.claimed()).isFalse();
      assertThat(r.record()).isSameAs(existing);
    }
  }

  @Test
  void completedIsReplayed() {
    IdempotencyRecord done = completed();

    ClaimResult r = RecordTransitions.claim(done, request(FP), T0.plusSeconds(60), NO_TOKEN);

    assertThat(r.status()).isEqualTo(ClaimStatus.COMPLETED);
    assertThat(r.record()).isSameAs(done);
    assertThat(r.record().result()).isEqualTo(RESULT);
  }

  @Test
  void inProgressWithARunningLeaseIsAConflict() {
    IdempotencyRecord held = inProgress();

    ClaimResult r =
        RecordTransitions.claim(held, request(FP), T0.plus(LEASE).minusNanos(1), NO_TOKEN);

    assertThat(r.status()).isEqualTo(ClaimStatus.IN_PROGRESS);
    assertThat(r.record()).isSameAs(held);
  }

  @Test
  void inProgressWhoseLeasePassedIsTakenOverWithAGreaterToken() {
    IdempotencyRecord held = inProgress();
    Instant later = T0.plus(LEASE);

    IdempotencyRecord r = claimed(RecordTransitions.claim(held, request(FP), later, tokens(9)));

    assertThat(r.state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.token()).isEqualTo(9);
    assertThat(r.leaseUntil()).isEqualTo(later.plus(LEASE));
    assertThat(r.expiresAt()).isEqualTo(later.plus(TTL));
    assertThat(r.createdAt()).isEqualTo(T0);
    assertThat(r.updatedAt()).isEqualTo(later);
  }

  @Test
  void takeoverTokenIsGreaterEvenWhenTheSequenceIsBehind() {
    IdempotencyRecord held = inProgress(); // token 5

    IdempotencyRecord r =
        claimed(RecordTransitions.claim(held, request(FP), T0.plus(LEASE), tokens(2)));

    assertThat(r.token()).isEqualTo(6);
  }

  @Test
  void failedWithRetryPendingIsACachedFailure() {
    IdempotencyRecord failed = failed(Duration.ofMinutes(5));

    ClaimResult r =
        RecordTransitions.claim(failed, request(FP), T0.plus(Duration.ofMinutes(5)), NO_TOKEN);

    assertThat(r.status()).isEqualTo(ClaimStatus.CACHED_FAILURE);
    assertThat(r.record()).isSameAs(failed);
    assertThat(r.record().error()).isEqualTo(ERROR);
  }

  @Test
  void failedAndRetryableIsReclaimedWithTheNextAttemptEvenWithAnotherPayload() {
    IdempotencyRecord failed = failed(Duration.ofMinutes(5));
    Instant retry = T0.plusSeconds(1).plus(Duration.ofMinutes(5));

    IdempotencyRecord r =
        claimed(RecordTransitions.claim(failed, request(OTHER_FP), retry, tokens(11)));

    assertThat(r.state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.token()).isEqualTo(11);
    assertThat(r.fingerprint()).isEqualTo(OTHER_FP);
    assertThat(r.error()).isNull();
    assertThat(r.retryAfter()).isNull();
    assertThat(r.createdAt()).isEqualTo(T0);
  }

  @Test
  void releasedFailureIsReclaimableAtOnce() {
    IdempotencyRecord released = failed(Duration.ZERO);
    assertThat(released.isRetryableAt(T0.plusSeconds(1))).isTrue();

    IdempotencyRecord r =
        claimed(RecordTransitions.claim(released, request(FP), T0.plusSeconds(1), tokens(1)));

    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.token()).isEqualTo(6);
  }

  @Test
  void reclaimAtMaxAttemptsIsExhausted() {
    IdempotencyRecord first = inProgress();
    IdempotencyRecord second =
        claimed(RecordTransitions.claim(first, request(FP, 2), T0.plus(LEASE), tokens(6)));
    Instant afterSecondLease = T0.plus(LEASE).plus(LEASE);

    ClaimResult takeover =
        RecordTransitions.claim(second, request(FP, 2), afterSecondLease, NO_TOKEN);

    assertThat(takeover.status()).isEqualTo(ClaimStatus.EXHAUSTED);
    assertThat(takeover.record()).isSameAs(second);

    IdempotencyRecord released =
        RecordTransitions.fail(second, 6, ERROR, Duration.ZERO, TTL, afterSecondLease);
    ClaimResult retry =
        RecordTransitions.claim(released, request(OTHER_FP, 2), afterSecondLease, NO_TOKEN);

    assertThat(retry.status()).isEqualTo(ClaimStatus.EXHAUSTED);
    assertThat(retry.record()).isSameAs(released);
    assertThat(retry.record().attempt()).isEqualTo(2);
  }

  @Test
  void maxAttemptsDoesNotLimitTheFirstClaimOfAFreshRecord() {
    IdempotencyRecord r = claimed(RecordTransitions.claim(null, request(FP, 1), T0, tokens(1)));

    assertThat(r.attempt()).isEqualTo(1);
  }

  @Test
  void expiredCompletedRecordIsClaimedAfreshAtAttemptOne() {
    IdempotencyRecord done = completed(); // expires at T0 + 1s + 1h
    Instant expiry = done.expiresAt();

    IdempotencyRecord r =
        claimed(RecordTransitions.claim(done, request(OTHER_FP), expiry, tokens(1)));

    assertThat(r.attempt()).isEqualTo(1);
    assertThat(r.token()).isEqualTo(6);
    assertThat(r.fingerprint()).isEqualTo(OTHER_FP);
    assertThat(r.result()).isNull();
    assertThat(r.createdAt()).isEqualTo(expiry);
  }

  @Test
  void expiredFailedRecordForgetsItsAttempts() {
    IdempotencyRecord released = failed(Duration.ZERO);
    IdempotencyRecord second =
        claimed(RecordTransitions.claim(released, request(FP, 2), T0.plusSeconds(2), tokens(6)));
    IdempotencyRecord failedAgain =
        RecordTransitions.fail(second, 6, ERROR, Duration.ZERO, TTL, T0.plusSeconds(3));

    IdempotencyRecord r =
        claimed(
            RecordTransitions.claim(
                failedAgain, request(FP, 2), failedAgain.expiresAt(), tokens(1)));

    assertThat(r.attempt()).isEqualTo(1);
    assertThat(r.token()).isEqualTo(7);
  }

  @Test
  void inProgressPastItsExpiryButWithinAnExtendedLeaseIsStillHeld() {
    ClaimRequest shortTtl = new ClaimRequest("k", FP, LEASE, LEASE, 3);
    IdempotencyRecord held = claimed(RecordTransitions.claim(null, shortTtl, T0, tokens(1)));
    IdempotencyRecord extended =
        RecordTransitions.extend(held, 1, LEASE, T0.plusSeconds(20)); // lease until T0 + 50s
    Instant t = T0.plusSeconds(40); // past the original expiry (T0 + 30s)

    assertThat(extended.expiresAt()).isEqualTo(T0.plusSeconds(50));
    assertThat(extended.isExpiredAt(t)).isFalse();
    assertThat(RecordTransitions.claim(extended, shortTtl, t, NO_TOKEN).status())
        .isEqualTo(ClaimStatus.IN_PROGRESS);
  }

  @Test
  void tokenIsDrawnFromTheSequenceOnlyOnSuccess() {
    long[] drawn = {0};
    LongSupplier counting = () -> ++drawn[0] + 100;
    IdempotencyRecord done = completed();

    RecordTransitions.claim(done, request(FP), T0.plusSeconds(2), counting);
    RecordTransitions.claim(inProgress(), request(FP), T0.plusSeconds(2), counting);
    assertThat(drawn[0]).isZero();

    IdempotencyRecord r = claimed(RecordTransitions.claim(null, request(FP), T0, counting));
    assertThat(drawn[0]).isEqualTo(1);
    assertThat(r.token()).isEqualTo(101);
  }

  // ---- complete, fail, extend -------------------------------------------------------------

  @Test
  void completeWithTheHoldingToken() {
    IdempotencyRecord held = inProgress();
    Instant now = T0.plusSeconds(3);

    IdempotencyRecord r = RecordTransitions.complete(held, 5, RESULT, Duration.ofHours(2), now);

    assertThat(r.state()).isEqualTo(RecordState.COMPLETED);
    assertThat(r.result()).isEqualTo(RESULT);
    assertThat(r.token()).isEqualTo(5);
    assertThat(r.attempt()).isEqualTo(1);
    assertThat(r.fingerprint()).isEqualTo(FP);
    assertThat(r.leaseUntil()).isNull();
    assertThat(r.retryAfter()).isNull();
    assertThat(r.error()).isNull();
    assertThat(r.expiresAt()).isEqualTo(now.plus(Duration.ofHours(2)));
    assertThat(r.createdAt()).isEqualTo(T0);
    assertThat(r.updatedAt()).isEqualTo(now);
  }

  @Test
  void completeAfterTheLeasePassedStillWorksWhenNobodyTookOver() {
    IdempotencyRecord r =
        RecordTransitions.complete(inProgress(), 5, RESULT, TTL, T0.plus(LEASE).plusSeconds(10));

    assertThat(r).isNotNull();
    assertThat(r.state()).isEqualTo(RecordState.COMPLETED);
  }

  @Test
  void staleTokenCannotCompleteFailOrExtend() {
    IdempotencyRecord held = inProgress();
    IdempotencyRecord takenOver =
        claimed(RecordTransitions.claim(held, request(FP), T0.plus(LEASE), tokens(6)));
    Instant now = T0.plus(LEASE).plusSeconds(1);

    assertThat(RecordTransitions.complete(takenOver, 5, RESULT, TTL, now)).isNull();
    assertThat(RecordTransitions.fail(takenOver, 5, ERROR, Duration.ZERO, TTL, now)).isNull();
    assertThat(RecordTransitions.extend(takenOver, 5, LEASE, now)).isNull();
    assertThat(RecordTransitions.holds(takenOver, 5)).isFalse();
    assertThat(RecordTransitions.holds(takenOver, 6)).isTrue();
    assertThat(RecordTransitions.complete(takenOver, 6, RESULT, TTL, now)).isNotNull();
  }

  @Test
  void nothingButAnInProgressRecordCanBeCompletedFailedOrExtended() {
    Instant now = T0.plusSeconds(5);
    for (IdempotencyRecord r : new IdempotencyRecord[] {null, completed(), failed(Duration.ZERO)}) {
      assertThat(RecordTransitions.complete(r, 5, RESULT, TTL, now)).isNull();
      assertThat(RecordTransitions.fail(r, 5, ERROR, Duration.ZERO, TTL, now)).isNull();
      assertThat(RecordTransitions.extend(r, 5, LEASE, now)).isNull();
      assertThat(RecordTransitions.holds(r, 5)).isFalse();
    }
  }

  @Test
  void failCachesTheErrorUntilRetryAfterAndKeepsTheRecordAtLeastThatLong() {
    IdempotencyRecord held = inProgress();
    Instant now = T0.plusSeconds(3);

    IdempotencyRecord cached =
        RecordTransitions.fail(held, 5, ERROR, Duration.ofMinutes(10), Duration.ofMinutes(1), now);

    assertThat(cached.state()).isEqualTo(RecordState.FAILED);
    assertThat(cached.error()).isEqualTo(ERROR);
    assertThat(cached.retryAfter()).isEqualTo(now.plus(Duration.ofMinutes(10)));
    assertThat(cached.expiresAt()).isEqualTo(now.plus(Duration.ofMinutes(10)));
    assertThat(cached.leaseUntil()).isNull();
    assertThat(cached.result()).isNull();
    assertThat(cached.attempt()).isEqualTo(1);
    assertThat(cached.token()).isEqualTo(5);
    assertThat(cached.isRetryableAt(now.plus(Duration.ofMinutes(10)).minusNanos(1))).isFalse();
    assertThat(cached.isRetryableAt(now.plus(Duration.ofMinutes(10)))).isTrue();

    IdempotencyRecord released = RecordTransitions.fail(held, 5, null, Duration.ZERO, TTL, now);

    assertThat(released.error()).isNull();
    assertThat(released.retryAfter()).isEqualTo(now);
    assertThat(released.expiresAt()).isEqualTo(now.plus(TTL));
    assertThat(released.isRetryableAt(now)).isTrue();
  }

  @Test
  void extendMovesTheLeaseAndNeverShortensTheExpiry() {
    IdempotencyRecord held = inProgress(); // expires T0 + 1h
    Instant now = T0.plusSeconds(20);

    IdempotencyRecord r = RecordTransitions.extend(held, 5, LEASE, now);

    assertThat(r.state()).isEqualTo(RecordState.IN_PROGRESS);
    assertThat(r.leaseUntil()).isEqualTo(now.plus(LEASE));
    assertThat(r.expiresAt()).isEqualTo(T0.plus(TTL));
    assertThat(r.token()).isEqualTo(5);
    assertThat(r.attempt()).isEqualTo(1);
    assertThat(r.updatedAt()).isEqualTo(now);
    assertThat(r.createdAt()).isEqualTo(T0);

    IdempotencyRecord beyond = RecordTransitions.extend(held, 5, Duration.ofHours(2), now);
    assertThat(beyond.expiresAt()).isEqualTo(now.plus(Duration.ofHours(2)));
  }

  @Test
  void badDurationsAreRefused() {
    IdempotencyRecord held = inProgress();

    assertThatThrownBy(() -> RecordTransitions.complete(held, 5, RESULT, Duration.ZERO, T0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ttl must be positive, but was PT0S");
    assertThatThrownBy(
            () -> RecordTransitions.fail(held, 5, ERROR, Duration.ofSeconds(-1), TTL, T0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("retryAfter must not be negative, but was PT-1S");
    assertThatThrownBy(() -> RecordTransitions.extend(held, 5, Duration.ZERO, T0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lease must be positive, but was PT0S");
    assertThatThrownBy(() -> new ClaimRequest("k", FP, Duration.ZERO, TTL, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lease must be positive, but was PT0S");
    assertThatThrownBy(() -> new ClaimRequest("k", FP, LEASE, TTL, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxAttempts must be at least 1, but was 0");
  }

  // ---- expiry and purge -------------------------------------------------------------------

  @Test
  void purgeableWhenExpiredAndNotHeld() {
    IdempotencyRecord done = completed();
    assertThat(RecordTransitions.purgeable(done, done.expiresAt().minusNanos(1))).isFalse();
    assertThat(RecordTransitions.purgeable(done, done.expiresAt())).isTrue();

    IdempotencyRecord held = inProgress();
    assertThat(RecordTransitions.purgeable(held, T0.plus(LEASE))).isFalse();
    assertThat(RecordTransitions.purgeable(held, T0.plus(TTL))).isTrue();
  }

  @Test
  void storedErrorCutsLongMessages() {
    StoredError e = StoredError.of(new IllegalStateException("m".repeat(5000)));

    assertThat(e.type()).isEqualTo("java.lang.IllegalStateException");
    assertThat(e.message()).hasSize(StoredError.MAX_MESSAGE_LENGTH);
  }

  @Test
  void storedResultWithoutValueKeepsTheText() {
    StoredResult text = RESULT.withoutValue();

    assertThat(text.value()).isNull();
    assertThat(text.encoded()).isEqualTo("\"ok\"");
    assertThat(text.type()).isEqualTo("java.lang.String");
    assertThat(text.withoutValue()).isSameAs(text);
    assertThat(RESULT.toString()).doesNotContain("ok");
  }
}
