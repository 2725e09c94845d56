package io.idem.spi;

/** Where an idempotency record stands. See {@link IdempotencyStore} for the transitions. */
public enum RecordState {
  /** Claimed by a holder whose lease runs until {@code leaseUntil}. */
  IN_PROGRESS,
  /** The body ran; its result is kept until {@code expiresAt}. */
  COMPLETED,
  /**
   * The body failed. Before {@code retryAfter} a claim gets the cached failure; after it the key
   * can be claimed again (a released record is a failed one whose {@code retryAfter} has passed).
   */
  FAILED
}
