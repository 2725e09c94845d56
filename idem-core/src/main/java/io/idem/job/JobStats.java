package io.idem.job;

import java.util.Map;

/**
 * Counts of a store's jobs.
 *
 * @param byState jobs per state (every state present, zero when none)
 * @param byType jobs per type, per state (only non-zero counts)
 * @param duplicatesPrevented per unique key (a job without one: its id), how many enqueues it
 *     turned away or folded in (rejected, ignored or replaced); the keys with the most first, at
 *     most {@link #TOP_KEYS}
 * @param duplicatesPreventedTotal the sum over every key
 */
public record JobStats(
    Map<JobState, Long> byState,
    Map<String, Map<JobState, Long>> byType,
    Map<String, Long> duplicatesPrevented,
    long duplicatesPreventedTotal) {

  /** How many keys {@link #duplicatesPrevented} lists at most: 100. */
  public static final int TOP_KEYS = 100;

  public JobStats {
    byState = Map.copyOf(byState);
    byType = Map.copyOf(byType);
    duplicatesPrevented =
        java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(duplicatesPrevented));
  }

  /** Jobs in {@code state}. */
  public long count(JobState state) {
    return byState.getOrDefault(state, 0L);
  }
}
