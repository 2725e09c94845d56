package io.idem;

import java.time.Duration;
import java.util.Objects;

/**
 * What a call does when another caller holds its key: {@link #waitUpTo(Duration) wait} for the
 * holder's result (or for its lease to pass, then take over), or {@link #reject()} at once with
 * {@link InProgressException}. Immutable and thread-safe.
 */
public final class InProgressPolicy {

  /** How long {@link #waitUpTo(Duration) waits} by default: 30 seconds. */
  public static final Duration DEFAULT_MAX_WAIT = Duration.ofSeconds(30);

  private static final InProgressPolicy REJECT = new InProgressPolicy(Duration.ZERO);
  private static final InProgressPolicy DEFAULT_WAIT = new InProgressPolicy(DEFAULT_MAX_WAIT);

  private final Duration maxWait;

  private InProgressPolicy(Duration maxWait) {
    this.maxWait = maxWait;
  }

  /** Fails at once with {@link InProgressException}. */
  public static InProgressPolicy reject() {
    return REJECT;
  }

  /** Waits up to {@link #DEFAULT_MAX_WAIT}. */
  public static InProgressPolicy waitDefault() {
    return DEFAULT_WAIT;
  }

  /**
   * Waits up to {@code maxWait} for the holder to finish, polling the store with a growing backoff
   * (and woken at once when the holder is in this process); then {@link InProgressException}.
   */
  public static InProgressPolicy waitUpTo(Duration maxWait) {
    Objects.requireNonNull(maxWait, "maxWait");
    if (maxWait.isNegative() || maxWait.isZero()) {
      throw new IllegalArgumentException(
          "maxWait must be positive (use reject() not to wait), but was " + maxWait);
    }
    return new InProgressPolicy(maxWait);
  }

  /** True for {@link #reject()}. */
  public boolean rejects() {
    return maxWait.isZero();
  }

  /** How long a call waits; zero for {@link #reject()}. */
  public Duration maxWait() {
    return maxWait;
  }

  @Override
  public String toString() {
    return rejects() ? "reject" : "waitUpTo(" + maxWait + ")";
  }
}
