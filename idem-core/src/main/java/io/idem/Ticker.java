package io.idem;

/**
 * A monotonic source of nanoseconds, like {@link System#nanoTime()}: only the difference between
 * two readings means something (a span of elapsed time), never a reading alone. Idem reads it for
 * what is measured in elapsed time rather than on the calendar: wait deadlines, when a heartbeat or
 * keep-alive is due, the lease margin of a retried write, a worker's shutdown grace, a job's
 * timeout and the durations it reports. Instants written to stores (leases, expiry) come from a
 * {@link java.time.Clock} instead.
 *
 * <p>The default everywhere is {@link #system()}. Tests pass a settable one (the test kit's {@code
 * SettableClock} is both a clock and a ticker, so moving it moves both): time then passes only when
 * the test moves it, and deadlines measured on it pass only then.
 *
 * <p>Implementations must be thread-safe (several threads read one ticker) and cheap to read; a
 * reading must never be smaller than an earlier one, except when a test sets its clock back.
 */
@FunctionalInterface
public interface Ticker {

  /** Nanoseconds since an arbitrary fixed origin; compare readings only by subtraction. */
  long nanos();

  /** {@link System#nanoTime()}. */
  static Ticker system() {
    return SystemTicker.INSTANCE;
  }
}
