package io.idem;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Another caller holds the key and its lease is running: thrown at once under {@link
 * InProgressPolicy#reject()}, or when a wait ran out.
 */
public final class InProgressException extends IdemException {
  private static final long serialVersionUID = 1L;

  private final String key;
  private final @Nullable Instant leaseUntil;
  private final int attempt;

  public InProgressException(String key, @Nullable Instant leaseUntil, int attempt, String detail) {
    super(
        "key "
            + key
            + " is in progress elsewhere (attempt "
            + attempt
            + ", lease until "
            + leaseUntil
            + ")"
            + (detail.isEmpty() ? "" : ": " + detail));
    this.key = key;
    this.leaseUntil = leaseUntil;
    this.attempt = attempt;
  }

  public String key() {
    return key;
  }

  /** When the holder's lease ends, unless it is extended. */
  public @Nullable Instant leaseUntil() {
    return leaseUntil;
  }

  /** The holder's attempt number. */
  public int attempt() {
    return attempt;
  }
}
