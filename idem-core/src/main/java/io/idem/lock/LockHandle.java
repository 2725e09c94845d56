package io.idem.lock;

import io.idem.spi.LockLease;
import java.time.Duration;

/**
 * A lock held through {@link LockManager#acquire}: kept alive by the manager until it is released
 * (unless acquired with {@link LockManager.KeepAlive#NONE}); extend it, release it (or close it, in
 * a try-with-resources). Thread-safe.
 */
public interface LockHandle extends AutoCloseable {

  /** The holding as acquired. */
  LockLease lease();

  /** The fencing token. */
  default long token() {
    return lease().token();
  }

  /**
   * False once released, or once the lock was lost (its lease ended and another holder took it: the
   * keep-alive or an extension was refused).
   */
  boolean isHeld();

  /**
   * Extends the lease to now + {@code lease} (the keep-alive extends by it from then on); false
   * when the holding was lost or released.
   */
  boolean extend(Duration lease);

  /** Releases the lock; false when the holding was lost already. Idempotent. */
  boolean release();

  /** {@link #release()}. */
  @Override
  void close();
}
