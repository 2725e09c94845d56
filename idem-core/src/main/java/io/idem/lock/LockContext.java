package io.idem.lock;

/**
 * What a task run under a lock knows about its holding. Pass {@link #token()} to downstream stores
 * so they can refuse the writes of a holder that lost its lease.
 */
public interface LockContext {

  /** The lock's name. */
  String name();

  /** The fencing token of this holding. */
  long token();

  /** False once a keep-alive found the lease taken over (the task should stop). */
  boolean isHeld();
}
