package io.idem.spi;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One key's record, as a store returns it. Immutable.
 *
 * @param key the key's value
 * @param state where it stands
 * @param fingerprint the payload fingerprint of the claim that made it
 * @param token the fencing token of the latest claim: grows at every successful claim of the key
 * @param attempt how many times the key was claimed in this record's life (1 for the first holder)
 * @param leaseUntil while IN_PROGRESS, when the holder's lease ends; null otherwise
 * @param expiresAt when the record is gone (lazily; {@link IdempotencyStore#purgeExpired} deletes
 *     it); for IN_PROGRESS, when an abandoned claim may be purged
 * @param retryAfter for FAILED, when the key can be claimed again; null otherwise
 * @param result for COMPLETED, the result; null otherwise
 * @param error for FAILED, the failure (null for a plain release); null otherwise
 * @param createdAt when the first claim of this record's life happened
 * @param updatedAt when the latest transition happened
 */
public record IdempotencyRecord(
    String key,
    RecordState state,
    String fingerprint,
    long token,
    int attempt,
    @Nullable Instant leaseUntil,
    Instant expiresAt,
    @Nullable Instant retryAfter,
    @Nullable StoredResult result,
    @Nullable StoredError error,
    Instant createdAt,
    Instant updatedAt) {

  public IdempotencyRecord {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
  }

  /** True when the record is past its expiry at {@code now} and counts as absent. */
  public boolean isExpiredAt(Instant now) {
    return !now.isBefore(expiresAt) && (state != RecordState.IN_PROGRESS || isLeaseOverAt(now));
  }

  /** True when this is an IN_PROGRESS record whose lease has ended at {@code now}. */
  public boolean isLeaseOverAt(Instant now) {
    return state == RecordState.IN_PROGRESS && leaseUntil != null && !now.isBefore(leaseUntil);
  }

  /** True when this is a FAILED record that may be claimed again at {@code now}. */
  public boolean isRetryableAt(Instant now) {
    return state == RecordState.FAILED && (retryAfter == null || !now.isBefore(retryAfter));
  }
}
