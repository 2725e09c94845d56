package io.idem.spi;

import io.idem.internal.Durations;
import io.idem.job.ConflictPolicy;
import io.idem.job.JobState;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A job to insert, fully resolved by {@link io.idem.job.Jobs} (id chosen, unique key built). The
 * store sets state (SCHEDULED when {@code runAt} is after its clock's now, else QUEUED), attempt 0,
 * token 0 and the timestamps. Times are kept to the millisecond (run time and expiry are truncated,
 * a timeout is whole milliseconds); id, type, queue and unique key are 1 to 255 characters of clean
 * text (no control characters or unpaired surrogates, which could not survive UTF-8).
 *
 * @param runAt when it is due; null for now (the store's clock)
 * @param uniqueStates the states in which the job blocks its key; always holds {@link
 *     JobState#REQUIRED_UNIQUE_STATES} (added when missing); ignored when {@code uniqueKey} is null
 */
public record NewJob(
    String id,
    String type,
    String queue,
    int priority,
    String args,
    @Nullable Instant runAt,
    @Nullable Instant expiresAt,
    @Nullable Duration timeout,
    int maxAttempts,
    @Nullable String uniqueKey,
    Set<JobState> uniqueStates,
    ConflictPolicy onConflict) {

  /** The longest id, type, queue and unique key: 255 characters. */
  public static final int MAX_NAME_LENGTH = 255;

  public NewJob {
    requireName("id", id);
    requireName("type", type);
    requireName("queue", queue);
    Objects.requireNonNull(args, "args");
    Objects.requireNonNull(onConflict, "onConflict");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, but was " + maxAttempts);
    }
    if (timeout != null) {
      Durations.requirePositive("timeout", timeout);
      if (timeout.toMillis() < 1) {
        throw new IllegalArgumentException("timeout must be at least 1 ms, but was " + timeout);
      }
      timeout = Duration.ofMillis(timeout.toMillis());
    }
    runAt = runAt == null ? null : runAt.truncatedTo(ChronoUnit.MILLIS);
    expiresAt = expiresAt == null ? null : expiresAt.truncatedTo(ChronoUnit.MILLIS);
    if (uniqueKey != null) {
      requireName("uniqueKey", uniqueKey);
      EnumSet<JobState> s = EnumSet.copyOf(JobState.REQUIRED_UNIQUE_STATES);
      s.addAll(uniqueStates);
      uniqueStates = Set.copyOf(s);
    } else {
      uniqueStates = Set.of();
    }
  }

  /** The mask of {@link #uniqueStates}. */
  public int uniqueMask() {
    return JobState.mask(uniqueStates);
  }

  private static void requireName(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.isEmpty() || value.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException(
          what
              + " must be 1 to "
              + MAX_NAME_LENGTH
              + " characters, but was '"
              + (value.length() > 80
                  ? value.substring(0, 80) + "...' (" + value.length() + ")"
                  : value + "'"));
    }
  }
}
