package io.idem.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * A lock's current holding.
 *
 * @param name the lock
 * @param owner who holds it (a free text such as {@code host-3/worker-7})
 * @param token the fencing token: strictly greater at every acquisition of this lock name
 * @param acquiredAt when this holding started
 * @param leaseUntil when it ends unless extended; the lock is free from then on
 */
public record LockLease(
    String name, String owner, long token, Instant acquiredAt, Instant leaseUntil) {

  public LockLease {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(acquiredAt, "acquiredAt");
    Objects.requireNonNull(leaseUntil, "leaseUntil");
  }

  /** True while the lease runs at {@code now}. */
  public boolean isHeldAt(Instant now) {
    return now.isBefore(leaseUntil);
  }
}
