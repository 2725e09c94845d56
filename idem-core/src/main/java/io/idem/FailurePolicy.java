package io.idem;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What happens to a key when its body throws: {@link #release()} lets the next call run the body
 * again; {@link #cacheFor(Duration)} answers calls with the cached failure ({@link
 * CachedFailureException}) for a while; {@link #byException()} chooses by the exception's class.
 * The body's exception is rethrown to the caller in every case. Immutable and thread-safe.
 */
public final class FailurePolicy {

  private static final FailurePolicy RELEASE =
      new FailurePolicy(Duration.ZERO, List.of(), "release");

  private final Duration retryAfter;
  private final List<Rule> rules;
  private final String description;

  private record Rule(Class<? extends Throwable> type, FailurePolicy policy) {}

  private FailurePolicy(Duration retryAfter, List<Rule> rules, String description) {
    this.retryAfter = retryAfter;
    this.rules = rules;
    this.description = description;
  }

  /** The key goes back to claimable at once, so a retry runs the body again. The default. */
  public static FailurePolicy release() {
    return RELEASE;
  }

  /** The failure is cached: calls within {@code duration} get {@link CachedFailureException}. */
  public static FailurePolicy cacheFor(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("cacheFor duration must be positive, but was " + duration);
    }
    return new FailurePolicy(duration, List.of(), "cacheFor(" + duration + ")");
  }

  /** Chooses by exception class: the first matching {@code on} rule wins. */
  public static ByExceptionBuilder byException() {
    return new ByExceptionBuilder();
  }

  /** How long calls get the cached failure after {@code error}; zero means released. */
  public Duration retryAfterFor(Throwable error) {
    for (Rule rule : rules) {
      if (rule.type.isInstance(error)) {
        return rule.policy.retryAfterFor(error);
      }
    }
    return retryAfter;
  }

  @Override
  public String toString() {
    return description;
  }

  /** Builds a {@link FailurePolicy} that chooses by exception class. Not thread-safe. */
  public static final class ByExceptionBuilder {
    private final List<Rule> rules = new ArrayList<>();

    private ByExceptionBuilder() {}

    /** Failures that are instances of {@code type} follow {@code policy}. */
    public ByExceptionBuilder on(Class<? extends Throwable> type, FailurePolicy policy) {
      rules.add(new Rule(Objects.requireNonNull(type, "type"), Objects.requireNonNull(policy)));
      return this;
    }

    /** Failures that match no rule follow {@code fallback}. */
    public FailurePolicy otherwise(FailurePolicy fallback) {
      Objects.requireNonNull(fallback, "fallback");
      StringBuilder sb = new StringBuilder("byException(");
      for (Rule r : rules) {
        sb.append(r.type.getSimpleName()).append("->").append(r.policy).append(", ");
      }
      sb.append("otherwise ").append(fallback).append(')');
      List<Rule> all = new ArrayList<>(rules);
      all.addAll(fallback.rules);
      return new FailurePolicy(fallback.retryAfter, List.copyOf(all), sb.toString());
    }
  }
}
