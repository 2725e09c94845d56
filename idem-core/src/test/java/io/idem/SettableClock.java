package io.idem;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that tests move by hand. Thread-safe; clocks made by {@link #withZone} share the time.
 */
public final class SettableClock extends Clock {

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

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return new SettableClock(now, zone);
  }
}
