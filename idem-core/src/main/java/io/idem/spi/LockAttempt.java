package io.idem.spi;

import java.util.Objects;

/**
 * What a try to acquire a lock found.
 *
 * @param acquired true when the caller holds the lock now
 * @param lease the caller's new holding when acquired; else the current holder's
 */
public record LockAttempt(boolean acquired, LockLease lease) {

  public LockAttempt {
    Objects.requireNonNull(lease, "lease");
  }
}
