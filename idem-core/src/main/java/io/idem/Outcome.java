package io.idem;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a call ended when it did not throw: the body {@linkplain #wasExecuted() ran} in this call, or
 * an earlier run's result was {@linkplain #wasReplayed() replayed}. Immutable.
 *
 * @param <T> the result's type
 */
public final class Outcome<T> {

  /** Whether this call ran the body. */
  public enum Kind {
    /** The body ran in this call and its result was recorded. */
    EXECUTED,
    /** The body ran earlier; this is the stored result. */
    REPLAYED
  }

  private final Kind kind;
  private final IdempotencyKey key;
  private final @Nullable T value;
  private final int attempt;
  private final long token;

  private Outcome(Kind kind, IdempotencyKey key, @Nullable T value, int attempt, long token) {
    this.kind = kind;
    this.key = key;
    this.value = value;
    this.attempt = attempt;
    this.token = token;
  }

  static <T> Outcome<T> executed(IdempotencyKey key, @Nullable T value, int attempt, long token) {
    return new Outcome<>(Kind.EXECUTED, key, value, attempt, token);
  }

  static <T> Outcome<T> replayed(IdempotencyKey key, @Nullable T value, int attempt, long token) {
    return new Outcome<>(Kind.REPLAYED, key, value, attempt, token);
  }

  public Kind kind() {
    return kind;
  }

  /** True when the body ran in this call. */
  public boolean wasExecuted() {
    return kind == Kind.EXECUTED;
  }

  /** True when this is an earlier run's stored result. */
  public boolean wasReplayed() {
    return kind == Kind.REPLAYED;
  }

  /** The result: this call's, or the stored one. */
  public @Nullable T value() {
    return value;
  }

  public IdempotencyKey key() {
    return key;
  }

  /** The attempt that produced the result (1 unless earlier holders crashed or failed). */
  public int attempt() {
    return attempt;
  }

  /** The fencing token of the claim that produced the result. */
  public long token() {
    return token;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Outcome<?> other
        && other.kind == kind
        && other.key.equals(key)
        && Objects.equals(other.value, value)
        && other.attempt == attempt
        && other.token == token;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, key, value, attempt, token);
  }

  @Override
  public String toString() {
    return "Outcome["
        + kind
        + " "
        + key
        + " attempt "
        + attempt
        + " token "
        + token
        + ": "
        + value
        + "]";
  }
}
