package io.idem.postgres;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** Checks of the values this module writes: PostgreSQL text cannot hold U+0000. Stateless. */
final class PostgresText {

  private static final char NUL = '\u0000';

  private PostgresText() {}

  /** True when {@code s} has a U+0000, which no row can hold: such a name has no row. */
  static boolean hasNul(@Nullable String s) {
    return s != null && s.indexOf(NUL) >= 0;
  }

  /**
   * {@code value} when it has no U+0000.
   *
   * @throws IllegalArgumentException naming {@code name} and the value (U+0000 shown as {@code
   *     \\u0000})
   */
  static String requireNoNul(String name, String value) {
    Objects.requireNonNull(value, name);
    if (hasNul(value)) {
      throw new IllegalArgumentException(
          name
              + " must not contain U+0000 (PostgreSQL text cannot hold it), but was \""
              + value.replace(String.valueOf(NUL), "\\u0000")
              + "\"");
    }
    return value;
  }

  /**
   * {@code d} when it is positive.
   *
   * @throws IllegalArgumentException naming {@code name} and the value
   */
  static Duration requirePositive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, but was " + d);
    }
    return d;
  }

  /**
   * {@code d} when it is zero or positive.
   *
   * @throws IllegalArgumentException naming {@code name} and the value
   */
  static Duration requireNotNegative(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, but was " + d);
    }
    return d;
  }
}
