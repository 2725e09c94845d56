package io.idem.memory;

import io.idem.spi.LockAttempt;
import io.idem.spi.LockLease;
import io.idem.spi.LockStore;
import io.idem.spi.LockTransitions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A {@link LockStore} in a {@link ConcurrentHashMap}: for tests and single processes. Each step is
 * one {@code compute} on the lock's entry running {@link LockTransitions}; released locks keep
 * their entry so that tokens keep growing. Thread-safe.
 */
public final class InMemoryLockStore implements LockStore {

  private final ConcurrentHashMap<String, LockLease> locks = new ConcurrentHashMap<>();
  private final Clock clock;

  private InMemoryLockStore(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** A store on the system clock. */
  public static InMemoryLockStore create() {
    return new InMemoryLockStore(Clock.systemUTC());
  }

  /** A store on {@code clock}. */
  public static InMemoryLockStore create(Clock clock) {
    return new InMemoryLockStore(clock);
  }

  @Override
  public LockAttempt tryAcquire(String name, String owner, Duration lease) {
    Instant now = clock.instant();
    LockAttempt[] out = new LockAttempt[1];
    locks.compute(
        name,
        (n, stored) -> {
          LockAttempt a = LockTransitions.acquire(stored, name, owner, lease, now);
          out[0] = a;
          return a.acquired() ? a.lease() : stored;
        });
    return out[0];
  }

  @Override
  public boolean extend(String name, long token, Duration lease) {
    Instant now = clock.instant();
    return apply(name, stored -> LockTransitions.extend(stored, token, lease, now));
  }

  @Override
  public boolean release(String name, long token, Duration keepFor) {
    Instant now = clock.instant();
    return apply(name, stored -> LockTransitions.release(stored, token, keepFor, now));
  }

  private boolean apply(String name, Function<LockLease, @Nullable LockLease> step) {
    boolean[] applied = new boolean[1];
    locks.computeIfPresent(
        name,
        (n, stored) -> {
          LockLease next = step.apply(stored);
          applied[0] = next != null;
          return next != null ? next : stored;
        });
    return applied[0];
  }

  @Override
  public Optional<LockLease> holder(String name) {
    LockLease l = locks.get(name);
    return l != null && l.isHeldAt(clock.instant()) ? Optional.of(l) : Optional.empty();
  }

  @Override
  public void close() {
    locks.clear();
  }
}
