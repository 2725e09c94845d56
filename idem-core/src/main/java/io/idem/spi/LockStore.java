package io.idem.spi;

import java.time.Duration;
import java.util.Optional;

/**
 * Leased locks with fencing tokens. Each method is one atomic step in the backend, with the
 * semantics of {@link LockTransitions}; the contract suite {@code LockStoreContract} in
 * idem-testkit is the definition.
 *
 * <p>A lock is free when it was never held or its lease has passed. Every acquisition gets a token
 * strictly greater than every earlier token of the same lock name (stores keep a lock's token when
 * it is released), so a downstream store can refuse writes of a holder that lost its lease. extend
 * and release apply only with the current token.
 *
 * <p>Time comes from the store's clock. Implementations are thread-safe; backend failures are
 * thrown as {@link io.idem.StoreUnavailableException}.
 */
public interface LockStore extends AutoCloseable {

  /** Acquires {@code name} for {@code owner} until now + {@code lease}, if it is free. */
  LockAttempt tryAcquire(String name, String owner, Duration lease);

  /**
   * Extends the holding of {@code token} to now + {@code lease}.
   *
   * @return false, changing nothing, when {@code token} no longer holds the lock
   */
  boolean extend(String name, long token, Duration lease);

  /**
   * Releases the holding of {@code token}: the lock is free at once when {@code keepFor} is zero,
   * else its lease is set to now + {@code keepFor} (a lock-at-least time; the same token may still
   * release it earlier with zero).
   *
   * @return false, changing nothing, when {@code token} no longer holds the lock
   */
  boolean release(String name, long token, Duration keepFor);

  /** The current holding of {@code name}, if its lease runs. */
  Optional<LockLease> holder(String name);

  @Override
  void close();
}
