package io.idem.lock;

import io.idem.spi.LockLease;
import java.time.Duration;

/**
 * A lock held through {@link LockManager#acquire}: extend it, release it (or close it, in a
 * try-with-resources). Thread-safe.
 */
public interface LockHandle extends AutoCloseable {

  /** The holding as acquired. */
  LockLease lease();

  /** The fencing token. */
  default long token() {
    return lease().token();
  }

  /** Extends the lease to now + {@code lease}; false when the holding was lost. */
  boolean extend(Duration lease);

  /** Releases the lock; false when the holding was lost already. Idempotent. */
  boolean release();

  /** {@link #release()}. */
  @Override
  void close();
}
