package io.idem.job;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The answer of an enqueue: a value, never an exception, for a duplicate.
 *
 * @param outcome what happened
 * @param job the new job ({@link EnqueueOutcome#ENQUEUED}), the rewritten one ({@link
 *     EnqueueOutcome#REPLACED}) or the existing one that blocked the request
 * @param pending for a rejected unique job: what is pending for its key; else null
 */
public record EnqueueResult(EnqueueOutcome outcome, Job job, @Nullable PendingSummary pending) {

  public EnqueueResult {
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(job, "job");
  }

  /** True when a new job was stored. */
  public boolean enqueued() {
    return outcome == EnqueueOutcome.ENQUEUED;
  }
}
