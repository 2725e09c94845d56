package io.idem.spi;

import io.idem.internal.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The record state machine, as pure functions from the record a store holds to the record it must
 * write. A store that can run these inside one atomic step (a {@code compute} on a concurrent map,
 * one {@code BEGIN IMMEDIATE} transaction) gets the exact semantics of the contract suite; a store
 * that encodes them in one SQL statement or one script must give the same answers.
 *
 * <pre>
 * absent/expired         --claim--&gt; IN_PROGRESS(token, lease, fingerprint, attempt 1)
 * FAILED, retry passed   --claim--&gt; IN_PROGRESS(token', attempt+1)      any payload (released)
 * other payload          --claim--&gt; MISMATCH                            nothing changes
 * COMPLETED              --claim--&gt; COMPLETED (replay)                  nothing changes
 * FAILED, retry pending  --claim--&gt; CACHED_FAILURE                      nothing changes
 * IN_PROGRESS, leased    --claim--&gt; IN_PROGRESS (conflict)              nothing changes
 * IN_PROGRESS, lease over--claim--&gt; IN_PROGRESS(token', attempt+1)      takeover
 * attempt &gt;= maxAttempts --claim--&gt; EXHAUSTED instead of a re-claim     nothing changes
 * IN_PROGRESS --complete(token)--&gt; COMPLETED(result, expiresAt)
 * IN_PROGRESS --fail(token)--&gt; FAILED(error, retryAfter, expiresAt)
 * IN_PROGRESS --extend(token)--&gt; IN_PROGRESS(leaseUntil')
 * </pre>
 *
 * A new token is always greater than the record's: {@code max(record.token + 1, nextToken)}, where
 * {@code nextToken} comes from a store-wide sequence so that tokens keep growing across deletes and
 * purges. complete, fail and extend apply only to an IN_PROGRESS record with the same token, even
 * after its lease has passed (as long as nobody took it over).
 */
public final class RecordTransitions {

  private RecordTransitions() {}

  /**
   * Decides a claim. Only a {@link ClaimStatus#CLAIMED} result is to be written.
   *
   * @param existing the stored record, or null when there is none
   * @param nextToken the store's token sequence; called only when the claim succeeds
   */
  public static ClaimResult claim(
      @Nullable IdempotencyRecord existing,
      ClaimRequest request,
      Instant now,
      LongSupplier nextToken) {
    Objects.requireNonNull(request, "request");
    if (existing == null || existing.isExpiredAt(now)) {
      long token = Math.max(nextToken.getAsLong(), existing == null ? 1 : existing.token() + 1);
      return new ClaimResult(ClaimStatus.CLAIMED, fresh(request, token, 1, now, now));
    }
    if (existing.isRetryableAt(now)) {
      return reclaim(existing, request, now, nextToken);
    }
    if (!existing.fingerprint().equals(request.fingerprint())) {
      return new ClaimResult(ClaimStatus.MISMATCH, existing);
    }
    return switch (existing.state()) {
      case COMPLETED -> new ClaimResult(ClaimStatus.COMPLETED, existing);
      case FAILED -> new ClaimResult(ClaimStatus.CACHED_FAILURE, existing);
      case IN_PROGRESS ->
          existing.isLeaseOverAt(now)
              ? reclaim(existing, request, now, nextToken)
              : new ClaimResult(ClaimStatus.IN_PROGRESS, existing);
    };
  }

  private static ClaimResult reclaim(
      IdempotencyRecord existing, ClaimRequest request, Instant now, LongSupplier nextToken) {
    if (existing.attempt() >= request.maxAttempts()) {
      return new ClaimResult(ClaimStatus.EXHAUSTED, existing);
    }
    long token = Math.max(nextToken.getAsLong(), existing.token() + 1);
    return new ClaimResult(
        ClaimStatus.CLAIMED,
        fresh(request, token, existing.attempt() + 1, existing.createdAt(), now));
  }

  private static IdempotencyRecord fresh(
      ClaimRequest request, long token, int attempt, Instant createdAt, Instant now) {
    Instant leaseUntil = now.plus(request.lease());
    Duration keep = request.ttl().compareTo(request.lease()) > 0 ? request.ttl() : request.lease();
    return new IdempotencyRecord(
        request.key(),
        RecordState.IN_PROGRESS,
        request.fingerprint(),
        token,
        attempt,
        leaseUntil,
        now.plus(keep),
        null,
        null,
        null,
        createdAt,
        now);
  }

  /** The COMPLETED record, or null when {@code token} does not hold {@code existing}. */
  public static @Nullable IdempotencyRecord complete(
      @Nullable IdempotencyRecord existing,
      long token,
      StoredResult result,
      Duration ttl,
      Instant now) {
    Durations.requirePositive("ttl", ttl);
    if (!holds(existing, token)) {
      return null;
    }
    return new IdempotencyRecord(
        existing.key(),
        RecordState.COMPLETED,
        existing.fingerprint(),
        token,
        existing.attempt(),
        null,
        now.plus(ttl),
        null,
        result,
        null,
        existing.createdAt(),
        now);
  }

  /**
   * The FAILED record, or null when {@code token} does not hold {@code existing}.
   *
   * @param error the failure to cache, or null for a plain release
   * @param retryAfter how long claims get the cached failure; zero releases the key at once
   * @param ttl how long the record (and its attempt count) is kept, at least {@code retryAfter}
   */
  public static @Nullable IdempotencyRecord fail(
      @Nullable IdempotencyRecord existing,
      long token,
      @Nullable StoredError error,
      Duration retryAfter,
      Duration ttl,
      Instant now) {
    Objects.requireNonNull(retryAfter, "retryAfter");
    if (retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative, but was " + retryAfter);
    }
    Durations.requirePositive("ttl", ttl);
    if (!holds(existing, token)) {
      return null;
    }
    Duration keep = ttl.compareTo(retryAfter) > 0 ? ttl : retryAfter;
    return new IdempotencyRecord(
        existing.key(),
        RecordState.FAILED,
        existing.fingerprint(),
        token,
        existing.attempt(),
        null,
        now.plus(keep),
        now.plus(retryAfter),
        null,
        error,
        existing.createdAt(),
        now);
  }

  /** The record with its lease extended, or null when {@code token} does not hold it. */
  public static @Nullable IdempotencyRecord extend(
      @Nullable IdempotencyRecord existing, long token, Duration lease, Instant now) {
    Durations.requirePositive("lease", lease);
    if (!holds(existing, token)) {
      return null;
    }
    Instant leaseUntil = now.plus(lease);
    Instant expiresAt =
        existing.expiresAt().isAfter(leaseUntil) ? existing.expiresAt() : leaseUntil;
    return new IdempotencyRecord(
        existing.key(),
        RecordState.IN_PROGRESS,
        existing.fingerprint(),
        token,
        existing.attempt(),
        leaseUntil,
        expiresAt,
        null,
        null,
        null,
        existing.createdAt(),
        now);
  }

  /** True when {@code existing} is IN_PROGRESS under {@code token}. */
  public static boolean holds(@Nullable IdempotencyRecord existing, long token) {
    return existing != null
        && existing.state() == RecordState.IN_PROGRESS
        && existing.token() == token;
  }

  /** True when {@code record} is to be deleted by a purge at {@code now}. */
  public static boolean purgeable(IdempotencyRecord record, Instant now) {
    return record.isExpiredAt(now);
  }
}
