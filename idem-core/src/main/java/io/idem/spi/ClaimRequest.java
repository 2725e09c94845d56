package io.idem.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * What a claim asks of the store.
 *
 * @param key the key's value
 * @param fingerprint the payload fingerprint, compared with the stored one
 * @param lease how long the claim holds before another caller may take it over
 * @param ttl how long an abandoned claim is kept before it may be purged (at least the lease)
 * @param maxAttempts the most claims the key may have in one record's life (takeovers and re-claims
 *     after a release count); at that number a claim is refused as {@link ClaimStatus#EXHAUSTED}
 */
public record ClaimRequest(
    String key, String fingerprint, Duration lease, Duration ttl, int maxAttempts) {

  public ClaimRequest {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(ttl, "ttl");
    if (lease.isNegative() || lease.isZero()) {
      throw new IllegalArgumentException("lease must be positive, but was " + lease);
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive, but was " + ttl);
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, but was " + maxAttempts);
    }
  }
}
