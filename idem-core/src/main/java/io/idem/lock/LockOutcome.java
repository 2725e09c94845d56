package io.idem.lock;

import io.idem.spi.LockLease;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * How {@link LockManager#tryRun} ended: the task {@linkplain #wasExecuted() ran} under the lock, or
 * was {@linkplain #wasSkipped() skipped} because another holder had it. Immutable.
 *
 * @param <T> the task's result
 */
public final class LockOutcome<T> {

  private final boolean executed;
  private final @Nullable T value;
  private final long token;
  private final @Nullable LockLease holder;

  private LockOutcome(boolean executed, @Nullable T value, long token, @Nullable LockLease holder) {
    this.executed = executed;
    this.value = value;
    this.token = token;
    this.holder = holder;
  }

  static <T> LockOutcome<T> executed(@Nullable T value, long token) {
    return new LockOutcome<>(true, value, token, null);
  }

  static <T> LockOutcome<T> skipped(LockLease holder) {
    return new LockOutcome<>(false, null, 0, holder);
  }

  /** True when the task ran. */
  public boolean wasExecuted() {
    return executed;
  }

  /** True when the lock was held by another and the task did not run. */
  public boolean wasSkipped() {
    return !executed;
  }

  /** The task's result; null when skipped. */
  public @Nullable T value() {
    return value;
  }

  /** The fencing token the task ran with; 0 when skipped. */
  public long token() {
    return token;
  }

  /** The holder that made this call skip; empty when the task ran. */
  public Optional<LockLease> holder() {
    return Optional.ofNullable(holder);
  }

  @Override
  public String toString() {
    return executed
        ? "LockOutcome[executed, token " + token + ": " + value + "]"
        : "LockOutcome[skipped, held by " + holder + "]";
  }
}
