package io.idem;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that tests move by hand, and the {@link Ticker} on the same time line. Thread-safe;
 * clocks made by {@link #withZone} share the time.
 */
public final class SettableClock extends Clock implements Ticker {

  private final AtomicReference<Instant> now;
  private final ZoneId zone;

  public SettableClock(Instant start) {
    this(new AtomicReference<>(start), ZoneOffset.UTC);
  }

  private SettableClock(AtomicReference<Instant> now, ZoneId zone) {
    this.now = now;
    this.zone = zone;
  }

  public void set(Instant instant) {
    now.set(instant);
  }

  public Instant advance(Duration by) {
    return now.updateAndGet(t -> t.plus(by));
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  /**
   * This clock as a {@link Ticker}: the nanoseconds from the epoch to its instant, so that moving
   * the clock moves the ticker by as much (and setting it back sets the ticker back).
   *
   * @throws ArithmeticException for an instant after the year 2262
   */
  @Override
  public long nanos() {
    return Duration.between(Instant.EPOCH, now.get()).toNanos();
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return new SettableClock(now, zone);
  }
}
