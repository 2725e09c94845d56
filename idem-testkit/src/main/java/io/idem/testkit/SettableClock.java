package io.idem.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that tests move by hand, so that leases and TTLs pass without sleeping. Thread-safe; time
 * only moves when told to.
 */
public final class SettableClock extends Clock {

  /** Where new clocks start: a fixed instant with millisecond precision. */
  public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

  private final AtomicReference<Instant> now;
  private final ZoneId zone;

  private SettableClock(AtomicReference<Instant> now, ZoneId zone) {
    this.now = now;
    this.zone = zone;
  }

  /** A clock at {@link #DEFAULT_START}, in UTC. */
  public static SettableClock create() {
    return at(DEFAULT_START);
  }

  /** A clock at {@code start}, in UTC. */
  public static SettableClock at(Instant start) {
    return new SettableClock(new AtomicReference<>(Objects.requireNonNull(start)), ZoneOffset.UTC);
  }

  /** Moves the clock forward (or back, for a negative amount) by {@code amount}. */
  public Instant advance(Duration amount) {
    return now.updateAndGet(t -> t.plus(amount));
  }

  /** Sets the clock to {@code instant}. */
  public void set(Instant instant) {
    now.set(Objects.requireNonNull(instant));
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  /** The same time line seen in another zone: moving one moves the other. */
  @Override
  public Clock withZone(ZoneId zone) {
    return new SettableClock(now, zone);
  }

  @Override
  public String toString() {
    return "SettableClock[" + now.get() + "]";
  }
}
