package io.idem.spi;

import io.idem.internal.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The lock state machine as pure functions from the stored holding to the holding to write, for
 * stores that can run them in one atomic step (a {@code compute} on a map, one {@code BEGIN
 * IMMEDIATE} transaction); stores that encode them in SQL or Lua must give the same answers.
 *
 * <pre>
 * free (never held, or lease passed) --acquire(owner, lease)--&gt; held(token', owner, now + lease)
 * held                               --acquire--&gt; refused, the holder returned; nothing changes
 * held(token)                        --extend(token, lease)--&gt; held(token, now + lease)
 * held(token)                        --release(token, 0)--&gt; free (leaseUntil = now; token kept)
 * held(token)                        --release(token, keep)--&gt; held(token, now + keep)
 * </pre>
 *
 * A new token is the stored token + 1 (1 for a lock never held), so a store must keep a lock's
 * token after release. extend and release apply only while {@code token} holds the lock and its
 * lease runs.
 */
public final class LockTransitions {

  private LockTransitions() {}

  /** Decides an acquisition; only an acquired attempt is to be written. */
  public static LockAttempt acquire(
      @Nullable LockLease stored, String name, String owner, Duration lease, Instant now) {
    Durations.requirePositive("lease", lease);
    if (stored != null && stored.isHeldAt(now)) {
      return new LockAttempt(false, stored);
    }
    long token = stored == null ? 1 : stored.token() + 1;
    return new LockAttempt(true, new LockLease(name, owner, token, now, now.plus(lease)));
  }

  /** The extended holding, or null when {@code token} does not hold the lock at {@code now}. */
  public static @Nullable LockLease extend(
      @Nullable LockLease stored, long token, Duration lease, Instant now) {
    Durations.requirePositive("lease", lease);
    if (!holds(stored, token, now)) {
      return null;
    }
    return new LockLease(
        stored.name(), stored.owner(), token, stored.acquiredAt(), now.plus(lease));
  }

  /** The released holding, or null when {@code token} does not hold the lock at {@code now}. */
  public static @Nullable LockLease release(
      @Nullable LockLease stored, long token, Duration keepFor, Instant now) {
    Objects.requireNonNull(keepFor, "keepFor");
    if (keepFor.isNegative()) {
      throw new IllegalArgumentException("keepFor must not be negative, but was " + keepFor);
    }
    if (!holds(stored, token, now)) {
      return null;
    }
    return new LockLease(
        stored.name(), stored.owner(), token, stored.acquiredAt(), now.plus(keepFor));
  }

  /** True when {@code stored} is held by {@code token} at {@code now}. */
  public static boolean holds(@Nullable LockLease stored, long token, Instant now) {
    return stored != null && stored.token() == token && stored.isHeldAt(now);
  }
}
