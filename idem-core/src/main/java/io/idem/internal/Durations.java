package io.idem.internal;

import java.time.Duration;
import java.util.Objects;

/** Checks of the durations every builder and store takes, with messages that name the value. */
public final class Durations {

  private Durations() {}

  /**
   * {@code d}, when it is positive.
   *
   * @throws IllegalArgumentException "{@code name} must be positive, but was PT0S"
   */
  public static Duration requirePositive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, but was " + d);
    }
    return d;
  }
}
