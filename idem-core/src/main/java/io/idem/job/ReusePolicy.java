package io.idem.job;

import java.util.EnumSet;
import java.util.Set;

/**
 * Whether a finished job still blocks a new one with the same unique key. It adds final states to
 * the job's unique states; with a {@link Unique#perPeriod period} in the key, "blocks" means "for
 * the rest of that period".
 */
public enum ReusePolicy {
  /** A finished job blocks nothing: a new job may follow as soon as the last one ended. Default. */
  ALLOW(EnumSet.noneOf(JobState.class)),
  /** Only a failure frees the key: a SUCCEEDED job keeps blocking; DEAD, CANCELLED, EXPIRED not. */
  ALLOW_AFTER_FAILURE(EnumSet.of(JobState.SUCCEEDED)),
  /** Every job blocks the key for as long as it is stored (or for its period). */
  REJECT(EnumSet.of(JobState.SUCCEEDED, JobState.DEAD, JobState.CANCELLED, JobState.EXPIRED));

  private final Set<JobState> blocking;

  ReusePolicy(Set<JobState> blocking) {
    this.blocking = Set.copyOf(blocking);
  }

  /** The final states that block under this policy. */
  public Set<JobState> blockingFinalStates() {
    return blocking;
  }
}
