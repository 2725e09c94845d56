package io.idem.spi;

import io.idem.internal.Durations;
import io.idem.job.ConflictPolicy;
import io.idem.job.EnqueueOutcome;
import io.idem.job.Job;
import io.idem.job.JobState;
import io.idem.job.JobStateException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import org.jspecify.annotations.Nullable;

/**
 * The job state machine as pure functions from the stored job to the job to write, for stores that
 * can run them in one atomic step (a critical section, one {@code BEGIN IMMEDIATE} transaction);
 * stores that encode them in SQL or Lua must give the same answers. See {@link JobState} for the
 * diagram and {@link JobStore} for the contract of each step.
 */
public final class JobTransitions {

  /** The order in which due jobs are claimed: priority high to low, run time, age, id. */
  public static final Comparator<Job> CLAIM_ORDER =
      Comparator.comparing(Job::priority, Comparator.reverseOrder())
          .thenComparing(Job::runAt)
          .thenComparing(Job::createdAt)
          .thenComparing(Job::id);

  private JobTransitions() {}

  /** The job {@code n} becomes when stored at {@code now}. */
  public static Job create(NewJob n, Instant now) {
    Instant runAt = n.runAt() == null ? now : n.runAt();
    JobState state = runAt.isAfter(now) ? JobState.SCHEDULED : JobState.QUEUED;
    return new Job(
        n.id(),
        n.type(),
        n.queue(),
        n.priority(),
        n.args(),
        state,
        0,
        n.maxAttempts(),
        0,
        runAt,
        n.expiresAt(),
        n.timeout(),
        null,
        null,
        n.uniqueKey(),
        n.uniqueStates(),
        null,
        null,
        now,
        now,
        null);
  }

  /**
   * The decision of an enqueue.
   *
   * @param outcome what happens
   * @param write the job to store (new or rewritten); null when nothing is written
   * @param answer the job to answer with
   */
  public record EnqueueDecision(EnqueueOutcome outcome, @Nullable Job write, Job answer) {}

  /**
   * Decides an enqueue.
   *
   * @param byId the stored job with {@code n}'s id, in any state; null when none
   * @param keyHolder the stored job that holds {@code n}'s unique key; null when none (or no key)
   */
  public static EnqueueDecision enqueue(
      @Nullable Job byId, @Nullable Job keyHolder, NewJob n, Instant now) {
    Job existing = byId != null ? byId : keyHolder;
    if (existing == null) {
      Job created = create(n, now);
      return new EnqueueDecision(EnqueueOutcome.ENQUEUED, created, created);
    }
    if (n.onConflict() == ConflictPolicy.IGNORE) {
      return new EnqueueDecision(EnqueueOutcome.IGNORED, null, existing);
    }
    if (n.onConflict() == ConflictPolicy.REPLACE && JobState.WAITING.contains(existing.state())) {
      Job replaced = replace(existing, n, now);
      return new EnqueueDecision(EnqueueOutcome.REPLACED, replaced, replaced);
    }
    return new EnqueueDecision(EnqueueOutcome.REJECTED, null, existing);
  }

  /**
   * {@code existing} (not started) rewritten with {@code n}'s args, priority, run time, expiry and
   * timeout; state SCHEDULED or QUEUED by the new run time; attempt, token, key and id kept.
   */
  public static Job replace(Job existing, NewJob n, Instant now) {
    Instant runAt = n.runAt() == null ? now : n.runAt();
    JobState state = runAt.isAfter(now) ? JobState.SCHEDULED : JobState.QUEUED;
    return new Job(
        existing.id(),
        existing.type(),
        existing.queue(),
        n.priority(),
        n.args(),
        state,
        existing.attempt(),
        existing.maxAttempts(),
        existing.token(),
        runAt,
        n.expiresAt(),
        n.timeout(),
        null,
        existing.workerId(),
        existing.uniqueKey(),
        existing.uniqueStates(),
        null,
        existing.lastError(),
        existing.createdAt(),
        now,
        null);
  }

  /** True when a claim at {@code now} may take {@code j}. */
  public static boolean isClaimable(Job j, Instant now) {
    return JobState.WAITING.contains(j.state())
        && !j.runAt().isAfter(now)
        && (j.expiresAt() == null || j.expiresAt().isAfter(now));
  }

  /** {@code j} claimed by {@code workerId} at {@code now}. Call only when {@link #isClaimable}. */
  public static Job claim(Job j, String workerId, Duration lease, Instant now) {
    Durations.requirePositive("lease", lease);
    return new Job(
        j.id(),
        j.type(),
        j.queue(),
        j.priority(),
        j.args(),
        JobState.RUNNING,
        j.attempt() + 1,
        j.maxAttempts(),
        j.token() + 1,
        j.runAt(),
        j.expiresAt(),
        j.timeout(),
        now.plus(lease),
        workerId,
        j.uniqueKey(),
        j.uniqueStates(),
        null,
        j.lastError(),
        j.createdAt(),
        now,
        null);
  }

  /** True when {@code token} holds {@code j}: it is RUNNING with that token. */
  public static boolean holds(@Nullable Job j, long token) {
    return j != null && j.state() == JobState.RUNNING && j.token() == token;
  }

  /** The heartbeat's job, or null when {@code token} does not hold it. */
  public static @Nullable Job heartbeat(Job j, long token, Duration lease, Instant now) {
    Durations.requirePositive("lease", lease);
    if (!holds(j, token)) {
      return null;
    }
    return new Job(
        j.id(),
        j.type(),
        j.queue(),
        j.priority(),
        j.args(),
        j.state(),
        j.attempt(),
        j.maxAttempts(),
        j.token(),
        j.runAt(),
        j.expiresAt(),
        j.timeout(),
        now.plus(lease),
        j.workerId(),
        j.uniqueKey(),
        j.uniqueStates(),
        j.result(),
        j.lastError(),
        j.createdAt(),
        now,
        null);
  }

  /** The completed job, or null when {@code token} does not hold it. */
  public static @Nullable Job complete(Job j, long token, @Nullable String result, Instant now) {
    if (!holds(j, token)) {
      return null;
    }
    return new Job(
        j.id(),
        j.type(),
        j.queue(),
        j.priority(),
        j.args(),
        JobState.SUCCEEDED,
        j.attempt(),
        j.maxAttempts(),
        j.token(),
        j.runAt(),
        j.expiresAt(),
        j.timeout(),
        null,
        j.workerId(),
        j.uniqueKey(),
        j.uniqueStates(),
        result,
        j.lastError(),
        j.createdAt(),
        now,
        now);
  }

  /** The failed job (FAILED or DEAD), or null when {@code token} does not hold it. */
  public static @Nullable Job fail(
      Job j, long token, String error, @Nullable Instant retryAt, Instant now) {
    if (!holds(j, token)) {
      return null;
    }
    boolean retry = retryAt != null && j.attempt() < j.maxAttempts();
    return new Job(
        j.id(),
        j.type(),
        j.queue(),
        j.priority(),
        j.args(),
        retry ? JobState.FAILED : JobState.DEAD,
        j.attempt(),
        j.maxAttempts(),
        j.token(),
        retry ? retryAt : j.runAt(),
        j.expiresAt(),
        j.timeout(),
        null,
        j.workerId(),
        j.uniqueKey(),
        j.uniqueStates(),
        null,
        error,
        j.createdAt(),
        now,
        retry ? null : now);
  }

  /** The released job (QUEUED, attempt given back), or null when {@code token} does not hold it. */
  public static @Nullable Job release(Job j, long token, Instant now) {
    if (!holds(j, token)) {
      return null;
    }
    return new Job(
        j.id(),
        j.type(),
        j.queue(),
        j.priority(),
        j.args(),
        JobState.QUEUED,
        Math.max(0, j.attempt() - 1),
        j.maxAttempts(),
        j.token(),
        now,
        j.expiresAt(),
        j.timeout(),
        null,
        j.workerId(),
        j.uniqueKey(),
        j.uniqueStates(),
        null,
        j.lastError(),
        j.createdAt(),
        now,
        null);
  }

  /** The cancelled job; a finished job unchanged. */
  public static Job cancel(Job j, Instant now) {
    if (j.state().isFinal()) {
      return j;
    }
    return new Job(
        j.id(),
        j.type(),
        j.queue(),
        j.priority(),
        j.args(),
        JobState.CANCELLED,
        j.attempt(),
        j.maxAttempts(),
        j.token(),
        j.runAt(),
        j.expiresAt(),
        j.timeout(),
        null,
        j.workerId(),
        j.uniqueKey(),
        j.uniqueStates(),
        null,
        j.lastError(),
        j.createdAt(),
        now,
        now);
  }

  /**
   * The job queued again for a manual retry: due now, with at least one attempt left. The caller
   * must still check that no other job holds its key.
   *
   * @throws JobStateException unless the job is DEAD, CANCELLED, EXPIRED or FAILED
   */
  public static Job retry(Job j, Instant now) {
    if (!(j.state() == JobState.DEAD
        || j.state() == JobState.CANCELLED
        || j.state() == JobState.EXPIRED
        || j.state() == JobState.FAILED)) {
      throw new JobStateException(j, "retry");
    }
    return new Job(
        j.id(),
        j.type(),
        j.queue(),
        j.priority(),
        j.args(),
        JobState.QUEUED,
        j.attempt(),
        Math.max(j.maxAttempts(), j.attempt() + 1),
        j.token(),
        now,
        null,
        j.timeout(),
        null,
        j.workerId(),
        j.uniqueKey(),
        j.uniqueStates(),
        null,
        j.lastError(),
        j.createdAt(),
        now,
        null);
  }

  /** The error kept on a job whose worker stopped heartbeating. */
  public static String leaseExpiredError(Job j) {
    return "lease of worker "
        + j.workerId()
        + " expired at "
        + j.leaseUntil()
        + " (attempt "
        + j.attempt()
        + ")";
  }

  /**
   * One job's maintenance at {@code now}: a RUNNING job with its lease passed goes back to QUEUED
   * (DEAD when its attempts are used up), a waiting job past its expiry becomes EXPIRED, a
   * SCHEDULED or FAILED job whose run time came becomes QUEUED.
   *
   * @return the job to write, or null when nothing changes
   */
  public static @Nullable Job maintain(Job j, Instant now) {
    switch (j.state()) {
      case RUNNING:
        if (j.leaseUntil() != null && !j.leaseUntil().isAfter(now)) {
          boolean dead = j.attempt() >= j.maxAttempts();
          return new Job(
              j.id(),
              j.type(),
              j.queue(),
              j.priority(),
              j.args(),
              dead ? JobState.DEAD : JobState.QUEUED,
              j.attempt(),
              j.maxAttempts(),
              j.token(),
              dead ? j.runAt() : now,
              j.expiresAt(),
              j.timeout(),
              null,
              j.workerId(),
              j.uniqueKey(),
              j.uniqueStates(),
              null,
              leaseExpiredError(j),
              j.createdAt(),
              now,
              dead ? now : null);
        }
        return null;
      case SCHEDULED:
      case QUEUED:
      case FAILED:
        if (j.expiresAt() != null && !j.expiresAt().isAfter(now)) {
          return j.withState(JobState.EXPIRED, now);
        }
        if (j.state() != JobState.QUEUED && !j.runAt().isAfter(now)) {
          return j.withState(JobState.QUEUED, now);
        }
        return null;
      default:
        return null;
    }
  }
}
