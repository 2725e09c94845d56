package io.idem.spi;

/** How a claim ended. Only {@link #CLAIMED} changed anything in the store. */
public enum ClaimStatus {
  /**
   * The caller holds the key now; the record is the new IN_PROGRESS one with the caller's token.
   */
  CLAIMED,
  /** The key was completed; the record holds the result to replay. */
  COMPLETED,
  /** The key failed and its failure is cached until the record's {@code retryAfter}. */
  CACHED_FAILURE,
  /** Another holder's lease is running. */
  IN_PROGRESS,
  /** The record was made with another payload; the record holds the stored fingerprint. */
  MISMATCH,
  /** The key may be claimed again, but has had {@code maxAttempts} claims already. */
  EXHAUSTED
}
