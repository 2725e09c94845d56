package io.idem.internal;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The delays between polls of a waiting caller: from a first delay doubling to a cap, each one
 * jittered by ±25 % (so that callers who started together do not poll together). Used by Idem's
 * wait for a key's holder and LockManager's wait for a lock. One per wait; not thread-safe. Not
 * API.
 */
public final class Backoff {

  /** The first delay of a wait for another holder: 2 ms. */
  public static final long FIRST_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  /** The longest delay of a wait for another holder: 250 ms. */
  public static final long CAP_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

  private final long cap;
  private long next;

  private Backoff(long first, long cap) {
    this.next = first;
    this.cap = cap;
  }

  /** A wait for another holder: {@link #FIRST_NANOS} doubling to {@link #CAP_NANOS}. */
  public static Backoff forHolder() {
    return new Backoff(FIRST_NANOS, CAP_NANOS);
  }

  /** The next delay, jittered, in nanoseconds; the one after it is twice as long, up to the cap. */
  public long nextNanos() {
    long jittered = (long) (next * (0.75 + ThreadLocalRandom.current().nextDouble(0.5)));
    next = Math.min(next * 2, cap);
    return jittered;
  }
}
