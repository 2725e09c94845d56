package io.idem.testkit;

import io.idem.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that tests move by hand, so that leases and TTLs pass without sleeping. It is also a
 * {@link Ticker} on the same time line, for what Idem times in elapsed time (heartbeats, waits,
 * timeouts): {@code Idem.builder(store).clock(clock).ticker(clock)}. Thread-safe; time only moves
 * when told to.
 */
public final class SettableClock extends Clock implements Ticker {

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
