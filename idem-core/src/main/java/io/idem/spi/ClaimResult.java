package io.idem.spi;

import java.util.Objects;

/**
 * What a claim found or made.
 *
 * @param status how it ended
 * @param record the record after the claim: the caller's new one when CLAIMED, else the one that
 *     stood in the way
 */
public record ClaimResult(ClaimStatus status, IdempotencyRecord record) {

  public ClaimResult {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(record, "record");
  }

  /** True when the caller now holds the key. */
  public boolean claimed() {
    return status == ClaimStatus.CLAIMED;
  }
}
