package io.idem.job;

import io.idem.internal.Durations;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * When a failed attempt is retried: exponential backoff with jitter, and the exceptions that are
 * never retried. Immutable and thread-safe.
 *
 * <p>The delay after attempt {@code n} is {@code min(max, initial * multiplier^(n-1))}, less a
 * random part of up to {@code jitter} of it (so that many jobs failing together do not come back
 * together). Defaults: {@link #DEFAULT}: 1 s initial, x2, at most 1 h, 20% jitter.
 */
public final class RetryPolicy {

  public static final Duration DEFAULT_INITIAL = Duration.ofSeconds(1);
  public static final Duration DEFAULT_MAX = Duration.ofHours(1);
  public static final double DEFAULT_MULTIPLIER = 2.0;
  public static final double DEFAULT_JITTER = 0.2;

  /** 1 s, doubling, at most 1 h, 20% jitter; every exception retried. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(DEFAULT_INITIAL, DEFAULT_MAX, DEFAULT_MULTIPLIER, DEFAULT_JITTER, List.of());

  private final Duration initial;
  private final Duration max;
  private final double multiplier;
  private final double jitter;
  private final List<Class<? extends Throwable>> noRetry;

  private RetryPolicy(
      Duration initial,
      Duration max,
      double multiplier,
      double jitter,
      List<Class<? extends Throwable>> noRetry) {
    this.initial = initial;
    this.max = max;
    this.multiplier = multiplier;
    this.jitter = jitter;
    this.noRetry = List.copyOf(noRetry);
  }

  /** Exponential backoff from {@code initial} up to {@code max}, doubling, 20% jitter. */
  public static RetryPolicy exponential(Duration initial, Duration max) {
    Durations.requirePositive("initial", initial);
    Durations.requirePositive("max", max);
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "max must not be less than initial (" + initial + "), but was " + max);
    }
    return new RetryPolicy(initial, max, DEFAULT_MULTIPLIER, DEFAULT_JITTER, List.of());
  }

  /** The growth per attempt; at least 1. */
  public RetryPolicy multiplier(double multiplier) {
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier must be at least 1, but was " + multiplier);
    }
    return new RetryPolicy(initial, max, multiplier, jitter, noRetry);
  }

  /** The part of each delay that is random, 0 (none) to 1. */
  public RetryPolicy jitter(double jitter) {
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      throw new IllegalArgumentException("jitter must be between 0 and 1, but was " + jitter);
    }
    return new RetryPolicy(initial, max, multiplier, jitter, noRetry);
  }

  /** Failures of these types (or subtypes) are never retried: the job is DEAD at once. */
  @SafeVarargs
  public final RetryPolicy noRetryOn(Class<? extends Throwable>... types) {
    java.util.ArrayList<Class<? extends Throwable>> l = new java.util.ArrayList<>(noRetry);
    for (Class<? extends Throwable> t : types) {
      l.add(Objects.requireNonNull(t, "type"));
    }
    return new RetryPolicy(initial, max, multiplier, jitter, l);
  }

  /** True unless {@code failure} is of a type that is never retried. */
  public boolean retries(Throwable failure) {
    for (Class<? extends Throwable> t : noRetry) {
      if (t.isInstance(failure)) {
        return false;
      }
    }
    return true;
  }

  /** The delay before the attempt after attempt {@code attempt} (1 for the first). */
  public Duration delayAfter(int attempt, Random random) {
    double base = initial.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
    double capped = Math.min(base, max.toMillis());
    double d = capped - capped * jitter * random.nextDouble();
    return Duration.ofMillis(Math.max(0, Math.round(d)));
  }

  @Override
  public String toString() {
    return "RetryPolicy["
        + initial
        + " x"
        + multiplier
        + " up to "
        + max
        + ", jitter "
        + jitter
        + (noRetry.isEmpty() ? "" : ", never on " + noRetry)
        + "]";
  }
}
