package io.idem.job;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A job as stored: an immutable snapshot.
 *
 * @param id unique per store; chosen by the caller or generated
 * @param type what to run: the name a handler is registered under
 * @param queue the queue workers take it from
 * @param priority a higher priority runs first among due jobs of a queue
 * @param args the arguments as JSON text
 * @param state where it is; see {@link JobState}
 * @param attempt how many attempts have started (0 before the first claim)
 * @param maxAttempts the attempts allowed before the job is DEAD
 * @param token the fencing token of the current (or last) claim: it grows at every claim, and
 *     heartbeat, complete, fail and release apply only with the current one
 * @param runAt when it is due (for FAILED: when the retry is due)
 * @param expiresAt when it stops being worth running; null for never
 * @param timeout how long one attempt may run; null for no limit
 * @param leaseUntil while RUNNING: the end of the worker's lease
 * @param workerId while RUNNING (and after): the worker that claimed it last
 * @param uniqueKey the unique key; null for a job that is not unique
 * @param uniqueStates the states in which this job blocks another with the same key
 * @param result the result JSON of a SUCCEEDED job
 * @param lastError the error of the last failed attempt
 * @param createdAt when it was enqueued
 * @param updatedAt when it last changed state or lease
 * @param finishedAt when it reached a final state
 */
public record Job(
    String id,
    String type,
    String queue,
    int priority,
    String args,
    JobState state,
    int attempt,
    int maxAttempts,
    long token,
    Instant runAt,
    @Nullable Instant expiresAt,
    @Nullable Duration timeout,
    @Nullable Instant leaseUntil,
    @Nullable String workerId,
    @Nullable String uniqueKey,
    Set<JobState> uniqueStates,
    @Nullable String result,
    @Nullable String lastError,
    Instant createdAt,
    Instant updatedAt,
    @Nullable Instant finishedAt) {

  public Job {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(args, "args");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(runAt, "runAt");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
    uniqueStates = Set.copyOf(uniqueStates);
  }

  /** True when this job is unique and, in its state, blocks another job with its key. */
  public boolean holdsUniqueKey() {
    return uniqueKey != null && uniqueStates.contains(state);
  }

  /** A copy in {@code state} at {@code now}. */
  public Job withState(JobState state, Instant now) {
    return new Job(
        id,
        type,
        queue,
        priority,
        args,
        state,
        attempt,
        maxAttempts,
        token,
        runAt,
        expiresAt,
        timeout,
        leaseUntil,
        workerId,
        uniqueKey,
        uniqueStates,
        result,
        lastError,
        createdAt,
        now,
        state.isFinal() ? now : null);
  }

  @Override
  public String toString() {
    return "Job["
        + id
        + ", "
        + type
        + ", "
        + state
        + ", attempt "
        + attempt
        + "/"
        + maxAttempts
        + (uniqueKey != null ? ", unique " + uniqueKey : "")
        + "]";
  }
}
